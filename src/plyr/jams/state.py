"""A jam's playback state and what each command does to it: pure functions of the state, the
command and the time (epoch ms), so that every rule is testable without a database.

While playing, the position is `progress_ms + (now - server_time_ms)`: a change first
freezes the position it starts from, then sets `server_time_ms` to now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plyr.jams.schemas import Pause, Play, Seek, UpdateQueue

State = dict[str, Any]
Client = tuple[str, str]  # (client_id, did)

ONE_SPEAKER = "one_speaker"
EVERYONE = "everyone"


def clamp_index(index: int, count: int) -> int:
    """An index into a queue of `count` tracks (0 for an empty one)."""
    return 0 if count == 0 else min(max(index, 0), count - 1)


def new_state(
    track_ids: Sequence[int], current_index: int, is_playing: bool, progress_ms: int, now_ms: int
) -> State:
    ids = list(track_ids)
    index = clamp_index(current_index, len(ids))
    return {
        "track_ids": ids,
        "current_index": index,
        "current_track_id": ids[index] if ids else None,
        "is_playing": is_playing and bool(ids),
        "progress_ms": progress_ms if ids else 0,
        "server_time_ms": now_ms,
        "output_client_id": None,
        "output_did": None,
        "output_mode": ONE_SPEAKER,
    }


def position_ms(state: State, now_ms: int) -> int:
    """Where playback is at `now_ms` (never before the start, whatever the clocks say)."""
    progress = int(state["progress_ms"])
    if state["is_playing"]:
        progress += max(0, now_ms - int(state["server_time_ms"]))
    return max(0, progress)


def _at(state: State, now_ms: int, **changes: Any) -> State:
    """The state with its position frozen at `now_ms`, and `changes` applied."""
    return {**state, "progress_ms": position_ms(state, now_ms), "server_time_ms": now_ms, **changes}


def play(state: State, now_ms: int) -> State:
    return _at(state, now_ms, is_playing=state["current_track_id"] is not None)


def pause(state: State, now_ms: int) -> State:
    return _at(state, now_ms, is_playing=False)


def seek(state: State, position: int, now_ms: int) -> State:
    return _at(state, now_ms, progress_ms=max(0, position))


def update_queue(state: State, track_ids: Sequence[int], index: int, now_ms: int) -> State:
    """A new queue: the index clamped into it; the position kept when the current track stays
    the same (someone reordered or added), else the new current track starts from 0."""
    ids = list(track_ids)
    index = clamp_index(index, len(ids))
    current = ids[index] if ids else None
    changed = current != state["current_track_id"]
    new = _at(state, now_ms, track_ids=ids, current_index=index, current_track_id=current)
    if changed:
        new["progress_ms"] = 0
    if current is None:
        new["is_playing"] = False
    return new


def set_output(state: State, client: Client) -> State:
    client_id, did = client
    return {**state, "output_client_id": client_id, "output_did": did}


def set_mode(state: State, mode: str, clients: Sequence[Client], host_did: str) -> State:
    """`everyone` plays on every client, so nobody is the output; back to `one_speaker`, the
    output goes to a connected client (the host's first) when nobody has it."""
    new = {**state, "output_mode": mode}
    if mode == EVERYONE:
        return {**new, "output_client_id": None, "output_did": None}
    if new["output_client_id"] is None:
        chosen = pick_output(clients, host_did)
        if chosen is not None:
            return set_output(new, chosen)
    return new


def apply(state: State, command: Play | Pause | Seek | UpdateQueue, now_ms: int) -> State:
    """The playback commands (those that need nothing but the state)."""
    if isinstance(command, Play):
        return play(state, now_ms)
    if isinstance(command, Pause):
        return pause(state, now_ms)
    if isinstance(command, Seek):
        return seek(state, command.position_ms, now_ms)
    return update_queue(state, command.track_ids, command.current_index, now_ms)


# --- the output device (one_speaker): one client plays, the others are remotes -------------


def pick_output(clients: Sequence[Client], host_did: str) -> Client | None:
    """The host's first connected client, else the first connected client, else nobody."""
    for client in clients:
        if client[1] == host_did:
            return client
    return clients[0] if clients else None


def on_connect(state: State, client: Client) -> State | None:
    """The first client to sync gets the output when nobody has it; None: no change."""
    if state["output_mode"] != ONE_SPEAKER or state["output_client_id"] is not None:
        return None
    return set_output(state, client)


def on_disconnect(
    state: State, client_id: str, remaining: Sequence[Client], host_did: str, now_ms: int
) -> State | None:
    """The output client left: the output moves to another connected client (the host's
    first), else it clears and playback pauses. None: no change."""
    if state["output_client_id"] != client_id:
        return None
    chosen = pick_output([c for c in remaining if c[0] != client_id], host_did)
    if chosen is not None:
        return set_output(state, chosen)
    return {**pause(state, now_ms), "output_client_id": None, "output_did": None}


def add_client(clients: Sequence[Client], client: Client, limit: int) -> list[Client]:
    """The connected clients with `client` among them: a reconnect keeps its place, a new
    client comes last (the oldest dropped beyond `limit`)."""
    if any(c[0] == client[0] for c in clients):
        return [client if c[0] == client[0] else c for c in clients]
    return [*clients, client][-limit:]
