"""Which clients of a jam are connected, over every process: the output device moves only
to a client that is still there, and a jam holds at most so many.

Each synced socket claims its client id under its own token and its process refreshes the
claim while it lives; the claim expires TTL seconds after its process stopped refreshing it
(a process that died). A newer socket of the same client takes the claim over, which tells
the older one it was replaced. In Redis: one hash per jam, `client_id -> "token expiry did"`,
changed only by scripts that compare the token first; in memory, the same in a dict."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol, cast

from redis.asyncio import Redis

from plyr.core.runtime import Runtime

TTL_S = 30.0  # a claim outlives its last refresh by this much (refreshes come every TTL/3)


@dataclass(frozen=True)
class Claim:
    client_id: str
    did: str


class Presence(Protocol):
    async def claim(self, jam_id: int, claim: Claim, token: str) -> None:
        """This socket is `claim.client_id` now (taking it over from an older socket)."""

    async def refresh(self, jam_id: int, claim: Claim, token: str) -> bool:
        """Keep the claim alive; False when a newer socket has taken it over."""

    async def release(self, jam_id: int, client_id: str, token: str) -> bool:
        """Drop the claim if it is still this socket's (True), not a newer one's."""

    async def connected(self, jam_id: int) -> set[str]:
        """The client ids with a live claim."""

    async def sweep(self, jam_id: int) -> list[Claim]:
        """Drop and return the expired claims (each to exactly one caller): clients whose
        process died without telling anyone they left."""

    async def close(self) -> None: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


class MemoryPresence:
    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_ms = int(ttl_s * 1000)
        self._claims: dict[int, dict[str, tuple[str, int, str]]] = {}  # token, expiry, did

    async def claim(self, jam_id: int, claim: Claim, token: str) -> None:
        entry = (token, _now_ms() + self.ttl_ms, claim.did)
        self._claims.setdefault(jam_id, {})[claim.client_id] = entry

    async def refresh(self, jam_id: int, claim: Claim, token: str) -> bool:
        current = self._claims.get(jam_id, {}).get(claim.client_id)
        if current is None or current[0] != token:
            return False
        await self.claim(jam_id, claim, token)
        return True

    async def release(self, jam_id: int, client_id: str, token: str) -> bool:
        claims = self._claims.get(jam_id, {})
        current = claims.get(client_id)
        if current is None or current[0] != token:
            return False
        del claims[client_id]
        if not claims:
            self._claims.pop(jam_id, None)
        return True

    async def connected(self, jam_id: int) -> set[str]:
        now = _now_ms()
        return {c for c, (_, expiry, _) in self._claims.get(jam_id, {}).items() if expiry > now}

    async def sweep(self, jam_id: int) -> list[Claim]:
        claims, now = self._claims.get(jam_id, {}), _now_ms()
        expired = [Claim(c, did) for c, (_, expiry, did) in claims.items() if expiry <= now]
        for gone in expired:
            del claims[gone.client_id]
        return expired

    async def close(self) -> None:
        self._claims.clear()


# KEYS[1] the jam's hash; ARGV: client id, token, new value, key ttl (ms)
_REFRESH = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or string.sub(current, 1, #ARGV[2] + 1) ~= ARGV[2] .. ' ' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""
# KEYS[1] the jam's hash; ARGV: client id, token
_RELEASE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or string.sub(current, 1, #ARGV[2] + 1) ~= ARGV[2] .. ' ' then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])
"""
# KEYS[1] the jam's hash; ARGV: now (ms). Returns client id, did, client id, did, ...
_SWEEP = """
local gone = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local _, _, expiry, did = string.find(all[i + 1], '^%S+ (%d+) (.*)$')
  if not expiry or tonumber(expiry) <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], all[i])
    table.insert(gone, all[i])
    table.insert(gone, did or '')
  end
end
return gone
"""


class RedisPresence:
    def __init__(self, url: str, *, prefix: str = "plyr:jams:", ttl_s: float = TTL_S) -> None:
        self.redis: Redis = Redis.from_url(url, decode_responses=True)
        self.prefix = prefix
        self.ttl_ms = int(ttl_s * 1000)

    def _key(self, jam_id: int) -> str:
        return f"{self.prefix}presence:{jam_id}"

    def _value(self, token: str, did: str) -> str:
        return f"{token} {_now_ms() + self.ttl_ms} {did}"

    async def claim(self, jam_id: int, claim: Claim, token: str) -> None:
        key = self._key(jam_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, claim.client_id, self._value(token, claim.did))
            pipe.pexpire(key, 2 * self.ttl_ms)
            await pipe.execute()

    async def refresh(self, jam_id: int, claim: Claim, token: str) -> bool:
        value = self._value(token, claim.did)
        args = (claim.client_id, token, value, 2 * self.ttl_ms)
        return bool(await self.redis.eval(_REFRESH, 1, self._key(jam_id), *args))

    async def release(self, jam_id: int, client_id: str, token: str) -> bool:
        args = (client_id, token)
        return bool(await self.redis.eval(_RELEASE, 1, self._key(jam_id), *args))

    async def connected(self, jam_id: int) -> set[str]:
        claims = cast("dict[str, str]", await self.redis.hgetall(self._key(jam_id)))
        now = _now_ms()
        return {c for c, value in claims.items() if int(value.split(" ", 2)[1]) > now}

    async def sweep(self, jam_id: int) -> list[Claim]:
        gone = await self.redis.eval(_SWEEP, 1, self._key(jam_id), _now_ms())
        return [Claim(gone[i], gone[i + 1]) for i in range(0, len(gone), 2)]

    async def close(self) -> None:
        await self.redis.aclose()


KEY = "jams.presence"


def presence(runtime: Runtime) -> Presence:
    """This process's view of who is connected, made on first use, closed with the runtime."""
    found: Presence | None = runtime.process_state.get(KEY)
    if found is None:
        settings = runtime.settings
        prefix = f"{settings.queue_name}:jams:"
        found = RedisPresence(settings.redis_url, prefix=prefix) if settings.redis_url else None
        found = found or MemoryPresence()
        runtime.process_state[KEY] = found
        runtime.on_close.append(found.close)
    return found
