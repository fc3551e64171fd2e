"""Request rate limits: each rule answers 429 with Retry-After and a readable detail once its
budget is spent, per address or per account as the rule says; the other callers go on."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from pydantic import ValidationError

from plyr.core.config import Settings
from plyr.core.ratelimit import RateLimiter, TooManyRequests
from tests.app import PUBLIC_URL, User, make_user, running_app
from tests.services import TEST_RATE_LIMITS

Client = Callable[[str], AsyncClient]


@asynccontextmanager
async def limited(settings: Settings, rules: str) -> AsyncIterator[tuple[FastAPI, Client]]:
    """The app with `rules` (PLYR_RATE_LIMITS syntax) over the generous test limits, and a
    maker of clients, each calling from the address it is given."""
    strict = settings.model_copy(update={"rate_limits": f"{TEST_RATE_LIMITS},{rules}"})
    async with running_app(strict, with_worker=False) as app:

        def client(ip: str) -> AsyncClient:
            transport = ASGITransport(app=app, client=(ip, 4321))
            return AsyncClient(transport=transport, base_url=PUBLIC_URL)

        yield app, client


def assert_limited(response: Response, rule: str) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    detail = response.json()["detail"]
    assert "too many requests" in detail and rule in detail


OWN = {"Origin": PUBLIC_URL}  # sign-in starts come from plyr's own pages


async def test_sign_in_starts_are_limited_per_address(settings: Settings) -> None:
    async with (
        limited(settings, "signin=2/minute") as (_, client),
        client("192.0.2.1") as one,
        client("192.0.2.2") as two,
    ):
        for _ in range(2):
            started = await one.post("/auth/start", data={"handle": "not a handle!"}, headers=OWN)
            assert started.status_code == 400  # refused, but it still counts
        again = await one.post("/auth/start", data={"handle": "x.test"}, headers=OWN)
        assert_limited(again, "signin")
        # every way to start a sign-in draws on the same budget
        created = await one.post("/auth/create-account/start", data={"pds": "x"}, headers=OWN)
        assert_limited(created, "signin")
        other = await two.post("/auth/start", data={"handle": "nope!"}, headers=OWN)
        assert other.status_code == 400


async def test_uploads_are_limited_per_account_and_per_address(settings: Settings) -> None:
    async with limited(settings, "upload=2/hour,upload_ip=3/hour") as (app, client):
        alice, bob, carol = [await make_user(app, f"{n}.test") for n in ("alice", "bob", "carol")]

        async def upload(c: AsyncClient, user: User) -> Response:
            files = {"title": (None, "t")}  # no audio: refused after the limit counted it
            return await c.post("/tracks/", headers=user.auth, files=files)

        async with client("192.0.2.1") as home, client("192.0.2.2") as office:
            assert (await upload(home, alice)).status_code != 429
            assert (await upload(home, alice)).status_code != 429
            assert_limited(await upload(office, alice), "upload")  # the account's budget
            assert (await upload(home, bob)).status_code != 429
            assert_limited(await upload(home, carol), "upload_ip")  # the address's budget
            assert (await upload(office, carol)).status_code != 429


async def test_comments_are_limited_per_account(settings: Settings) -> None:
    async with limited(settings, "comment=2/minute") as (app, client):
        alice, bob = [await make_user(app, f"{n}.test") for n in ("alice", "bob")]
        body = {"text": "hi", "timestamp_ms": 0}
        async with client("192.0.2.1") as c:
            for _ in range(2):
                posted = await c.post("/tracks/999999/comments", headers=alice.auth, json=body)
                assert posted.status_code == 404
            limited_post = await c.post("/tracks/999999/comments", headers=alice.auth, json=body)
            assert_limited(limited_post, "comment")
            other = await c.post("/tracks/999999/comments", headers=bob.auth, json=body)
            assert other.status_code == 404


@pytest.mark.parametrize(
    ("path", "rule"), [("/tracks/999999/play", "play"), ("/tracks/999999/ref/abc/click", "share")]
)
async def test_plays_and_share_clicks_are_limited_per_listener_and_address(
    settings: Settings, path: str, rule: str
) -> None:
    prefix = "play" if rule == "play" else "share_click"
    rules = f"{prefix}=2/minute,{prefix}_ip=4/minute"
    async with limited(settings, rules) as (app, client):
        bob = await make_user(app, "bob.test")
        async with client("192.0.2.1") as c, client("192.0.2.2") as other:
            for _ in range(2):
                assert (await c.post(path, headers=bob.auth)).status_code == 404
            assert_limited(await c.post(path, headers=bob.auth), prefix)  # the listener's
            other.cookies.set("plyr_play_id", "returning-visitor")  # its listener id
            for _ in range(2):
                assert (await other.post(path)).status_code == 404
            assert_limited(await other.post(path), prefix)
            # without a cookie every request is a new listener: the address's budget holds
            async with client("192.0.2.3") as script:
                for _ in range(4):
                    script.cookies.clear()
                    assert (await script.post(path)).status_code == 404
                script.cookies.clear()
                assert_limited(await script.post(path), f"{prefix}_ip")


async def test_limits_are_shared_through_redis(redis_url: str) -> None:
    """With REDIS_URL every process counts against one budget."""
    key = uuid.uuid4().hex
    first, second = RateLimiter("signin=2/minute", redis_url), RateLimiter("", redis_url)
    second.rules = first.rules
    try:
        await first.hit("signin", key)
        await second.hit("signin", key)
        with pytest.raises(TooManyRequests) as refused:
            await first.hit("signin", key)
        assert 1 <= refused.value.retry_after_s <= 60
        assert refused.value.headers == {"Retry-After": str(refused.value.retry_after_s)}
    finally:
        await first.close()
        await second.close()


def test_a_bad_rate_limit_setting_is_refused_at_start(settings: Settings) -> None:
    for bad in ("signin=lots", "nosuchrule=1/minute", "signin"):
        with pytest.raises(ValidationError, match="PLYR_RATE_LIMITS"):
            Settings(PLYR_DATA_DIR=settings.data_dir, PLYR_RATE_LIMITS=bad)
    ok = Settings(PLYR_DATA_DIR=settings.data_dir, PLYR_RATE_LIMITS="signin=5/minute;50/day")
    assert ok.rate_limits == "signin=5/minute;50/day"
