"""The pure rules of a jam's state: interpolation, each command, clamping, the output device."""

from __future__ import annotations

from plyr.jams import state
from plyr.jams.schemas import Pause, Play, Seek, UpdateQueue

T0 = 1_700_000_000_000


def playing(progress: int = 1000) -> state.State:
    return state.new_state([7, 8, 9], 0, True, progress, T0)


def test_the_position_interpolates_while_playing_and_holds_while_paused() -> None:
    assert state.position_ms(playing(), T0 + 2500) == 3500
    paused = state.new_state([7], 0, False, 1000, T0)
    assert state.position_ms(paused, T0 + 2500) == 1000
    # a clock behind the server's never moves the position backwards
    assert state.position_ms(playing(), T0 - 5000) == 1000


def test_pause_freezes_the_interpolated_position_and_play_resumes_from_it() -> None:
    paused = state.apply(playing(), Pause(type="pause"), T0 + 4000)
    assert paused["is_playing"] is False and paused["progress_ms"] == 5000
    assert paused["server_time_ms"] == T0 + 4000
    assert state.position_ms(paused, T0 + 60_000) == 5000
    resumed = state.apply(paused, Play(type="play"), T0 + 9000)
    assert resumed["is_playing"] and resumed["progress_ms"] == 5000
    assert state.position_ms(resumed, T0 + 10_000) == 6000


def test_play_on_an_empty_queue_stays_stopped() -> None:
    empty = state.new_state([], 3, True, 500, T0)
    assert empty["current_track_id"] is None and empty["current_index"] == 0
    assert state.apply(empty, Play(type="play"), T0)["is_playing"] is False


def test_seek_sets_the_position_now() -> None:
    sought = state.apply(playing(), Seek(type="seek", position_ms=42_000), T0 + 100)
    assert sought["progress_ms"] == 42_000 and sought["server_time_ms"] == T0 + 100
    assert sought["is_playing"]


def test_the_index_is_clamped_into_the_queue() -> None:
    assert state.clamp_index(5, 3) == 2
    assert state.clamp_index(-1, 3) == 0
    assert state.clamp_index(4, 0) == 0
    new = state.apply(
        playing(), UpdateQueue(type="update_queue", track_ids=[1, 2], current_index=9), T0
    )
    assert new["current_index"] == 1 and new["current_track_id"] == 2


def test_progress_resets_only_when_the_current_track_changes() -> None:
    reordered = state.update_queue(playing(), [5, 7, 6], 1, T0 + 2000)
    assert reordered["current_track_id"] == 7 and reordered["progress_ms"] == 3000
    skipped = state.update_queue(playing(), [7, 8, 9], 1, T0 + 2000)
    assert skipped["current_track_id"] == 8 and skipped["progress_ms"] == 0
    assert skipped["is_playing"]
    cleared = state.update_queue(playing(), [], 0, T0 + 2000)
    assert cleared["current_track_id"] is None and cleared["is_playing"] is False


def test_the_first_client_gets_the_output_when_nobody_has_it() -> None:
    first = state.on_connect(playing(), ("tab1", "did:a"))
    assert first is not None and first["output_client_id"] == "tab1"
    assert first["output_did"] == "did:a"
    assert state.on_connect(first, ("tab2", "did:b")) is None
    everyone = state.set_mode(playing(), state.EVERYONE, [], "did:a")
    assert state.on_connect(everyone, ("tab1", "did:a")) is None


def test_the_output_moves_to_the_hosts_client_else_clears_and_pauses() -> None:
    current = state.set_output(playing(), ("guest1", "did:g"))
    remaining = [("guest1", "did:g"), ("guest2", "did:g"), ("host1", "did:h")]
    moved = state.on_disconnect(current, "guest1", remaining, "did:h", T0 + 500)
    assert moved is not None and moved["output_client_id"] == "host1"
    assert moved["is_playing"]
    to_guest = state.on_disconnect(current, "guest1", remaining[:2], "did:h", T0)
    assert to_guest is not None and to_guest["output_client_id"] == "guest2"
    alone = state.on_disconnect(current, "guest1", [], "did:h", T0 + 500)
    assert alone is not None and alone["output_client_id"] is None
    assert alone["is_playing"] is False and alone["progress_ms"] == 1500
    assert state.on_disconnect(current, "other", [], "did:h", T0) is None


def test_everyone_mode_clears_the_output_and_one_speaker_gives_it_back() -> None:
    current = state.set_output(playing(), ("tab1", "did:a"))
    everyone = state.set_mode(current, state.EVERYONE, [], "did:h")
    assert everyone["output_client_id"] is None and everyone["output_mode"] == "everyone"
    clients = [("tab1", "did:a"), ("tab9", "did:h")]
    back = state.set_mode(everyone, state.ONE_SPEAKER, clients, "did:h")
    assert back["output_client_id"] == "tab9"


def test_a_reconnecting_client_keeps_its_place() -> None:
    clients = state.add_client([("a", "d1"), ("b", "d2")], ("a", "d1"), 50)
    assert clients == [("a", "d1"), ("b", "d2")]
    assert state.add_client(clients, ("c", "d3"), 2) == [("b", "d2"), ("c", "d3")]
