"""A Bluesky DM sender: a bot account signs in to its PDS with an app password, and the
PDS proxies chat calls to the chat service (`atproto-proxy: did:web:api.bsky.chat#bsky_chat`):
`chat.bsky.convo.getConvoForMembers` finds (or starts) the conversation with a recipient,
`chat.bsky.convo.sendMessage` writes to it."""

from __future__ import annotations

from typing import Any

import httpx

from plyr.core.net import bounds


class ChatError(Exception):
    """The PDS or chat service refused (the outbox retries the entry)."""


class BlueskyChat:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        pds_url: str,
        identifier: str,
        password: str,
        chat_service: str,
    ) -> None:
        self.http = http
        self.pds_url = pds_url.rstrip("/")
        self.identifier = identifier
        self.password = password
        self.chat_service = chat_service
        self._access_jwt: str | None = None  # reused while it lasts, renewed when refused

    async def send(self, to_did: str, text: str) -> str:
        """Send `text` to `to_did`; the message id."""
        try:
            return await self._send(to_did, text)
        except _ExpiredSession:
            self._access_jwt = None
            return await self._send(to_did, text)

    async def _send(self, to_did: str, text: str) -> str:
        found = await self._chat("GET", "chat.bsky.convo.getConvoForMembers", members=[to_did])
        convo_id = str(found["convo"]["id"])
        body = {"convoId": convo_id, "message": {"text": text}}
        sent = await self._chat("POST", "chat.bsky.convo.sendMessage", json=body)
        return str(sent["id"])

    async def _token(self) -> str:
        if self._access_jwt is None:
            response = await self.http.post(
                f"{self.pds_url}/xrpc/com.atproto.server.createSession",
                json={"identifier": self.identifier, "password": self.password},
                extensions=bounds(),
            )
            self._access_jwt = str(_ok(response)["accessJwt"])
        return self._access_jwt

    async def _chat(
        self, method: str, nsid: str, *, json: object = None, **params: list[str]
    ) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {await self._token()}",
            "atproto-proxy": self.chat_service,
        }
        response = await self.http.request(
            method,
            f"{self.pds_url}/xrpc/{nsid}",
            params=params or None,
            json=json,
            headers=headers,
            extensions=bounds(),
        )
        if response.status_code in (400, 401) and _error_of(response) in (
            "ExpiredToken",
            "InvalidToken",
        ):
            raise _ExpiredSession
        return _ok(response)


class _ExpiredSession(Exception):
    pass


def _error_of(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise ChatError(
            f"{response.request.url.path}: {response.status_code} {_error_of(response)}"
        )
    body = response.json()
    if not isinstance(body, dict):
        raise ChatError(f"{response.request.url.path}: not a JSON object")
    return body
