"""Records from a repo are checked against the columns they are written to: a field the
lexicon allows but a column cannot hold (or a NUL character, which PostgreSQL text refuses)
skips that record, with a log line; so does a listing entry of the wrong shape. The sync goes
on and indexes the others."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from plyr.atproto.indexable import UnindexableRecord, validate_indexable
from plyr.core.config import Settings
from plyr.ingest.sync import sync_repo
from plyr.models import Playlist, Track
from tests.app import running_app
from tests.endless_pds import DID, endless_pds

TRACK = "fm.plyr.track"
LIST = "fm.plyr.list"
BLOB = {
    "$type": "blob",
    "ref": {"$link": "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"},
    "mimeType": "audio/mpeg",
    "size": 1000,
}


def track(title: str, **fields: Any) -> dict[str, Any]:
    record = {
        "$type": TRACK,
        "title": title,
        "artist": "Someone",
        "fileType": "mp3",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "audioUrl": f"https://music.example/{len(title)}.mp3",
    }
    return {**record, **fields}


def playlist(name: str) -> dict[str, Any]:
    return {
        "$type": LIST,
        "name": name,
        "listType": "playlist",
        "items": [],
        "createdAt": "2026-01-01T00:00:00.000Z",
    }


UNFIT_TRACKS = {
    "duration beyond int4": track("a", duration=2**40),
    "long mimeType": track("b", audioUrl=None, audioBlob={**BLOB, "mimeType": "audio/" + "x" * 80}),
    "mimeType list": track(
        "c", audioUrl=None, audioBlob={**BLOB, "mimeType": "audio/mpeg, text/html"}
    ),
    "long audioUrl": track("d", audioUrl="https://music.example/" + "a" * 3000),
    "http audioUrl": track("e", audioUrl="http://music.example/e.mp3"),
    "javascript audioUrl": track("f", audioUrl="javascript:alert(1)"),
    "NUL in title": track("g\x00"),
    "NUL in description": track("h", description="x\x00y"),
    "NUL in album": track("i", album="al\x00bum"),
    "NUL in a key": track("j", **{"extra\x00": "1"}),
    "long fileType": track("k", fileType="abcdefghijkl"),
    "date out of range": track("l", createdAt="0001-01-01T00:00:00+01:00"),
    "lone surrogate": track("m", description="\ud800"),
    "long supportGate type": track("p", supportGate={"type": "x" * 65}),
}


MALFORMED_ENTRIES: list[Any] = [
    "not an entry",
    None,
    {"uri": 5, "cid": "bafyx", "value": track("n")},
    {"uri": f"at://{DID}/{TRACK}/3kzz1", "cid": "bafyx"},
    {"uri": f"at://{DID}/{TRACK}/3kzz2", "cid": "bafyx", "value": "not an object"},
    {"uri": f"at://{DID}/{TRACK}/3kzz3", "cid": ["bafyx"], "value": track("o")},
]


def clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


@pytest.mark.parametrize("case", sorted(UNFIT_TRACKS))
def test_unfit_fields_are_named(case: str) -> None:
    record = clean(UNFIT_TRACKS[case])
    with pytest.raises(UnindexableRecord):
        validate_indexable("track", f"at://{DID}/{TRACK}/3kabc", "bafyabc", record)


def test_a_fitting_record_passes() -> None:
    record = track("Fits", duration=200, album="An album")
    validate_indexable("track", f"at://{DID}/{TRACK}/3kabc", "bafyabc", record)
    blob = clean(track("Blob", audioUrl=None, audioBlob=BLOB))
    validate_indexable("track", f"at://{DID}/{TRACK}/3kabd", "bafyabc", blob)


def test_comments_must_fit_their_columns() -> None:
    subject = {"uri": f"at://{DID}/{TRACK}/3kabc", "cid": "bafyabc"}
    fits = {"subject": subject, "text": "ok", "timestampMs": 5, "createdAt": "2026-01-01T00:00:00Z"}
    validate_indexable("comment", f"at://{DID}/fm.plyr.comment/3kabc", "bafyabc", fits)
    with pytest.raises(UnindexableRecord, match="timestampMs"):
        validate_indexable(
            "comment",
            f"at://{DID}/fm.plyr.comment/3kabc",
            "bafyabc",
            {**fits, "timestampMs": 2**40},
        )


async def test_sync_skips_unfit_records_and_indexes_the_rest(settings: Settings) -> None:
    records = [clean(r) for r in UNFIT_TRACKS.values()] + [track("Fits", duration=200)]
    with endless_pds("fixed") as pds:
        pds.records = {
            TRACK: [
                {"uri": f"at://{DID}/{TRACK}/3kaa{i:03d}", "cid": f"bafyrec{i:03d}", "value": r}
                for i, r in enumerate(records)
            ]
            + MALFORMED_ENTRIES,
            LIST: [
                {"uri": f"at://{DID}/{LIST}/3kbb{i}", "cid": f"bafylist{i}", "value": r}
                for i, r in enumerate([playlist("nul\x00name"), playlist("Kept")])
            ],
        }
        hostile = settings.model_copy(update={"plc_url": pds.url})
        async with running_app(hostile, with_worker=False) as app:
            counts = await sync_repo(app.state.runtime, DID)
            async with app.state.runtime.sessionmaker() as db:
                titles = (await db.scalars(select(Track.title))).all()
                names = (await db.scalars(select(Playlist.name))).all()
    assert counts == {"track": 1, "like": 0, "list": 1, "comment": 0}
    assert titles == ["Fits"] and names == ["Kept"]
