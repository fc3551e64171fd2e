"""Shared by the atnet tests: what another AT Protocol client does on the devnet PDS (a call
with the account's own session, records written as plyr.fm or another app would), plyr
pointed at the network and signed in to it, a PDS outage, and reading back what landed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from atproto import Client, models
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, update

from plyr.atproto.records import rfc3339, tid_for
from plyr.atproto.sessions import seal_password_session
from plyr.core.config import Settings
from plyr.likes.records import LIKED_LIST_RKEY
from plyr.models import Playlist, PlaylistItem, Session
from tests.app import User, running_app
from tests.atnet.network import Account, AtprotoNet, get_record
from tests.helpers import upload_tone
from tests.servers import free_port


def xrpc(
    net: AtprotoNet, account: Account, nsid: str, content_type: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """What another client does: a call with the account's own session."""
    headers = {"Authorization": f"Bearer {account.access_jwt}"}
    if content_type:
        headers["Content-Type"] = content_type
    response = httpx.post(f"{net.pds_xrpc}/{nsid}", timeout=30, headers=headers, **kwargs)
    response.raise_for_status()
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def put_record(
    net: AtprotoNet, account: Account, collection: str, rkey: str, record: dict[str, Any]
) -> dict[str, Any]:
    """Write a record into the account's own repo; its strong ref (`uri`, `cid`)."""
    body = xrpc(
        net,
        account,
        "com.atproto.repo.putRecord",
        json={"repo": account.did, "collection": collection, "rkey": rkey, "record": record},
    )
    return {"uri": body["uri"], "cid": body["cid"]}


def put_track(net: AtprotoNet, account: Account, title: str, **fields: Any) -> str:
    now = datetime.now(UTC)
    rkey = tid_for(now)
    record = {
        "$type": "fm.plyr.track",
        "title": title,
        "artist": "Elsewhere",
        "fileType": "mp3",
        "createdAt": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        **fields,
    }
    put_record(net, account, "fm.plyr.track", rkey, record)
    return rkey


@asynccontextmanager
async def running_on_network(
    settings: Settings, net: AtprotoNet, *, with_worker: bool = True
) -> AsyncIterator[FastAPI]:
    """`running_app`, with plyr pointed at the local network: its PLC, and its PDS for
    `.test` handles."""
    settings.plc_url = net.plc_url
    settings.handle_resolvers = net.pds_url
    async with running_app(settings, with_worker=with_worker) as application:
        yield application


async def sign_in_app_password(api: AsyncClient, account: Account) -> User:
    """Sign in with the account's password, as an app password."""
    body = (
        await api.post(
            "/auth/app-password", json={"identifier": account.handle, "password": account.password}
        )
    ).json()
    return User(did=body["did"], handle=body["handle"], token=body["token"])


def track_record(net: AtprotoNet, did: str, rkey: str) -> dict[str, Any] | None:
    """The value of `did`'s fm.plyr.track record `rkey` on the PDS, or None."""
    record = get_record(net, did, "fm.plyr.track", rkey)
    return None if record is None else record["value"]


def rkey_of(track: dict[str, Any]) -> str:
    return tid_for(datetime.fromisoformat(track["created_at"]))


class Outage:
    """A TCP relay to the PDS that can be cut and restored, like a network outage."""

    def __init__(self, target_port: int) -> None:
        self.target_port, self.port = target_port, free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        for writer in list(self.links):
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.links.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def relayed_session(app: FastAPI, net: AtprotoNet, account: Account, did: str) -> Outage:
    """Make plyr reach `did`'s PDS through a relay (restored now) that a test can cut."""
    outage = Outage(int(net.pds_url.rsplit(":", 1)[1]))
    await outage.restore()
    runtime = app.state.runtime
    tokens = {"did": did, "accessJwt": account.access_jwt, "refreshJwt": account.refresh_jwt}
    sealed = seal_password_session(runtime, f"http://localhost:{outage.port}", tokens)
    async with runtime.writer() as db:
        await db.execute(update(Session).where(Session.did == did).values(oauth_data=sealed))
        await db.commit()
    return outage


class OtherClient:
    """Another AT Protocol app writing `fm.plyr.*` records to the account's repo."""

    def __init__(self, net: AtprotoNet, account: Account) -> None:
        self.did = account.did
        self.sdk = Client(base_url=net.pds_xrpc)
        self.sdk.login(account.handle, account.password, fetch_bsky_profile=False)
        self.clock = datetime.now(UTC)

    def put(self, collection: str, **fields: Any) -> tuple[str, str, str]:
        """(uri, cid, rkey) of a new record."""
        self.clock += timedelta(milliseconds=1)
        rkey = tid_for(self.clock)
        record = {"$type": collection, "createdAt": rfc3339(self.clock), **fields}
        out = self.sdk.com.atproto.repo.put_record(
            models.ComAtprotoRepoPutRecord.Data(
                repo=self.did, collection=collection, rkey=rkey, record=record
            )
        )
        return out.uri, out.cid, rkey

    def delete(self, collection: str, rkey: str) -> None:
        self.sdk.com.atproto.repo.delete_record(
            models.ComAtprotoRepoDeleteRecord.Data(repo=self.did, collection=collection, rkey=rkey)
        )

    def track(self, title: str) -> tuple[str, str]:
        uri, cid, _ = self.put(
            "fm.plyr.track",
            title=title,
            artist="Elsewhere",
            fileType="mp3",
            audioUrl=f"https://music.example/{title.replace(' ', '-')}.mp3",
        )
        return uri, cid

    def like(self, subject: tuple[str, str]) -> str:
        return self.put("fm.plyr.like", subject={"uri": subject[0], "cid": subject[1]})[2]

    def list(self, name: str, list_type: str, items: list[tuple[str, str]]) -> str:
        refs = [{"subject": {"uri": uri, "cid": cid}} for uri, cid in items]
        return self.put("fm.plyr.list", name=name, listType=list_type, items=refs)[2]


async def tracks_of(api: AsyncClient, did: str) -> dict[str, dict[str, Any]]:
    page = (await api.get("/tracks/", params={"artist_did": did})).json()
    return {t["title"]: t for t in page["tracks"]}


async def playlists_of(app: FastAPI, did: str) -> dict[str, list[int]]:
    """name -> track ids in order."""
    async with app.state.runtime.sessionmaker() as db:
        playlists = (await db.scalars(select(Playlist).where(Playlist.owner_did == did))).all()
        out = {}
        for playlist in playlists:
            query = (
                select(PlaylistItem.track_id)
                .where(PlaylistItem.playlist_id == playlist.id)
                .order_by(PlaylistItem.position)
            )
            out[playlist.name] = list((await db.scalars(query)).all())
        return out


def item_uris(record: dict[str, Any]) -> list[str]:
    """The subjects of an fm.plyr.list record, in order."""
    return [item["subject"]["uri"] for item in record["value"]["items"]]


TONES = itertools.count()  # a tone of its own for every track of the session


async def upload_tones(
    api: AsyncClient, user: User, tmp_path: Path, *titles: str, **fields: Any
) -> list[dict[str, Any]]:
    """Upload a track for each title (each a tone of its own: identical audio would be
    refused as a duplicate)."""
    return [
        await upload_tone(api, user, tmp_path, title, 300 + 37 * next(TONES), **fields)
        for title in titles
    ]


def liked_list(net: AtprotoNet, did: str) -> dict[str, Any] | None:
    """The value of `did`'s liked list on the PDS, or None."""
    record = get_record(net, did, "fm.plyr.list", LIKED_LIST_RKEY)
    return None if record is None else record["value"]
