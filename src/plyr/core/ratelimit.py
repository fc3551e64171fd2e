"""Request rate limits (the `limits` library, moving window): in this process's memory by
default, in Redis when REDIS_URL is set, so every process counts against the same budget.

Each rule has a name (`signin`, `upload`, ...) and one or more limits in the library's string
syntax (`30/minute`, `60/hour;500/day`); `PLYR_RATE_LIMITS` overrides any of the defaults:
`signin=10/minute,upload=20/hour`."""

from __future__ import annotations

import ipaddress
import math
import time
from collections import defaultdict

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from plyr.core.errors import AppError

# per rule: who it counts (the key the dependency passes) and how much is allowed
DEFAULT_RATE_LIMITS: dict[str, str] = {
    "signin": "20/minute;200/hour",  # sign-in starts, per IP: each one fetches from the network
    "upload": "30/hour;200/day",  # per account
    "upload_ip": "60/hour",  # per IP
    "comment": "10/minute;60/hour",  # per account
    "play": "30/minute",  # per listener (account or play cookie)
    "play_ip": "300/minute",  # per IP (a household or an office shares one)
    "share_click": "30/minute",  # per listener
    "share_click_ip": "300/minute",  # per IP
    "jam": "30/minute;300/hour",  # starting, joining, leaving, ending jams, per account
    "jam_command": "20/second;600/minute",  # jam commands over REST, per account
    "report": "10/hour",  # moderation reports, per account
}


EVENT_STREAMS_PER_ACCOUNT = 5
EVENT_STREAM_LIFETIME_S = 30 * 60


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, detail: str, retry_after_s: float) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        self.headers = {"Retry-After": str(self.retry_after_s)}


def parse_rate_limits(overrides: str) -> dict[str, list[RateLimitItem]]:
    """The defaults with `name=limits,...` applied; ValueError names a bad rule or limit."""
    texts = dict(DEFAULT_RATE_LIMITS)
    for part in filter(None, (p.strip() for p in overrides.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in DEFAULT_RATE_LIMITS:
            known = ", ".join(DEFAULT_RATE_LIMITS)
            raise ValueError(f"PLYR_RATE_LIMITS: {part!r} is not name=limit (names: {known})")
        texts[name] = value.strip()
    rules: dict[str, list[RateLimitItem]] = {}
    for name, text in texts.items():
        try:
            rules[name] = parse_many(text)
        except ValueError as e:
            raise ValueError(f"PLYR_RATE_LIMITS: {name}={text!r}: {e}") from e
    return rules


def client_ip(request: Request) -> str:
    """The caller's address (uvicorn has already applied a trusted proxy's X-Forwarded-For).
    IPv6 counts per /64: one subscriber usually holds a whole /64."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimiter:
    def __init__(self, overrides: str, redis_url: str | None) -> None:
        self.rules = parse_rate_limits(overrides)
        storage: Storage
        if redis_url:
            storage = RedisStorage(
                "async+" + redis_url, implementation="redispy", key_prefix="plyr:limits"
            )
        else:
            storage = MemoryStorage()
        self.storage = storage
        # moving window: exact, and in memory its expiry pass yields per key; the counter
        # strategies' pass over every key runs again after each hit (measured: ~2 ms a hit
        # with 20k addresses)
        self.strategy = MovingWindowRateLimiter(storage)
        # server-sent event streams (job progress) per account
        self.event_streams = Slots(EVENT_STREAMS_PER_ACCOUNT, EVENT_STREAM_LIFETIME_S)

    async def close(self) -> None:
        if isinstance(self.storage, RedisStorage):
            # the redis-py client the bridge opened (the library has no close of its own)
            client = getattr(self.storage.bridge, "storage", None)
            if client is not None:
                await client.aclose()
        elif isinstance(self.storage, MemoryStorage) and self.storage.timer is not None:
            self.storage.timer.cancel()

    async def hit(self, rule: str, key: str) -> None:
        """Count one request of `key` under `rule`; 429 (with Retry-After) when over."""
        for item in self.rules[rule]:
            if not await self.strategy.hit(item, rule, key):
                stats = await self.strategy.get_window_stats(item, rule, key)
                wait = stats.reset_time - time.time()
                raise TooManyRequests(
                    f"too many requests: at most {item} ({rule}); "
                    f"try again in {max(1, math.ceil(wait))} s",
                    wait,
                )


class Slots:
    """At most `limit` concurrent holders per key, in this process. A holder that is never
    released (a stream cancelled before it began) lapses after `lifetime_s`."""

    def __init__(self, limit: int, lifetime_s: float) -> None:
        self.limit = limit
        self.lifetime_s = lifetime_s
        self._held: dict[str, dict[object, float]] = defaultdict(dict)

    def take(self, key: str) -> object:
        """A token to `release`; TooManyRequests when `key` holds `limit` already."""
        now = time.monotonic()
        held = self._held[key]
        for token in [t for t, until in held.items() if until < now]:
            del held[token]
        if len(held) >= self.limit:
            # a slot frees as soon as another holder ends: worth retrying soon
            raise TooManyRequests(f"at most {self.limit} at a time: close one first", 5)
        token = object()
        held[token] = now + self.lifetime_s
        return token

    def release(self, key: str, token: object) -> None:
        held = self._held.get(key)
        if held is not None:
            held.pop(token, None)
            if not held:
                del self._held[key]
