"""Records are built to their lexicons; a builder that drifts fails before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient

from plyr.atproto.lexicon import LexiconError, Lexicons
from plyr.atproto.records import RecordBuilder, rfc3339, tid_for

WHEN = datetime(2026, 11, 21, 6, 5, 0, 123456, tzinfo=UTC)
REF = ("at://did:plc:abcdefghijklmnopqrstuvwx/fm.plyr.track/3m2abc", "bafyreigh2akiscaildc")
BLOB = {
    "$type": "blob",
    "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"},
    "mimeType": "audio/mpeg",
    "size": 1234,
}

builder = RecordBuilder(Lexicons())


def test_track_record_omits_empty_fields_and_validates() -> None:
    record = builder.track(
        title="First Light",
        artist="Alice",
        file_type="mp3",
        created_at=WHEN,
        audio_url="http://plyr.test/audio/0123456789abcdef",
        album="",
        duration=184,
        features=[{"did": "did:plc:abcdefghijklmnopqrstuvwx"}],
    )
    assert record == {
        "$type": "fm.plyr.track",
        "title": "First Light",
        "artist": "Alice",
        "fileType": "mp3",
        "createdAt": "2026-11-21T06:05:00.123Z",
        "audioUrl": "http://plyr.test/audio/0123456789abcdef",
        "duration": 184,
        "features": [{"did": "did:plc:abcdefghijklmnopqrstuvwx"}],
    }


def test_track_with_audio_blob() -> None:
    record = builder.track(title="t", artist="a", file_type="mp3", created_at=WHEN, audio_blob=BLOB)
    assert record["audioBlob"] == BLOB
    with pytest.raises(LexiconError, match="audioBlob: mimeType"):
        builder.track(
            title="t",
            artist="a",
            file_type="png",
            created_at=WHEN,
            audio_blob={**BLOB, "mimeType": "image/png"},
        )
    with pytest.raises(ValueError, match="audioUrl or audioBlob"):
        builder.track(title="t", artist="a", file_type="mp3", created_at=WHEN)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "x" * 257}, "record.title: length"),
        ({"title": ""}, "record.title: length"),
        ({"duration": -1}, "record.duration: out of range"),
        ({"features": [{"did": "not-a-did"}]}, r"record.features\[0\].did: not a valid did"),
        ({"audio_url": "not a url"}, "record.audioUrl: not a valid uri"),
        ({"features": [{"did": f"did:plc:{i:024d}"} for i in range(11)]}, "at most 10 items"),
    ],
)
def test_track_record_that_breaks_its_lexicon_is_refused(fields: dict, message: str) -> None:
    base = {
        "title": "t",
        "artist": "a",
        "file_type": "mp3",
        "created_at": WHEN,
        "audio_url": "http://plyr.test/audio/0123456789abcdef",
    }
    with pytest.raises(LexiconError, match=message):
        builder.track(**{**base, **fields})


def test_every_builder_passes_its_lexicon() -> None:
    assert (
        builder.like(subject_uri=REF[0], subject_cid=REF[1], created_at=WHEN)["subject"]["uri"]
        == REF[0]
    )
    comment = builder.comment(
        subject_uri=REF[0],
        subject_cid=REF[1],
        text="nice drop",
        timestamp_ms=45_000,
        created_at=WHEN,
        updated_at=WHEN,
    )
    assert comment["timestampMs"] == 45_000 and comment["updatedAt"].endswith("Z")
    empty = builder.list(name="Liked Tracks", list_type="liked", items=[], created_at=WHEN)
    assert empty["items"] == []
    full = builder.list(name="LP", list_type="album", items=[REF, REF], created_at=WHEN)
    assert [i["subject"]["cid"] for i in full["items"]] == [REF[1], REF[1]]
    assert builder.profile(created_at=WHEN, bio="hi")["bio"] == "hi"
    with pytest.raises(LexiconError, match="graphemes"):
        builder.list(name="é" * 65, list_type="playlist", items=[], created_at=WHEN)
    with pytest.raises(LexiconError, match="text: length"):
        builder.comment(
            subject_uri=REF[0], subject_cid=REF[1], text="x" * 1001, timestamp_ms=0, created_at=WHEN
        )
    with pytest.raises(LexiconError, match=r"subject\.uri"):
        builder.like(subject_uri="https://not-at-uri", subject_cid=REF[1], created_at=WHEN)


def test_wrong_type_is_refused() -> None:
    with pytest.raises(LexiconError, match=r"\$type"):
        Lexicons().validate("fm.plyr.like", {"$type": "fm.plyr.track"})


def test_tids_are_sortable_and_stable() -> None:
    first, later = tid_for(WHEN), tid_for(WHEN + timedelta(microseconds=1))
    assert len(first) == 13 and first < later
    assert tid_for(WHEN) == first  # a retry computes the same key
    assert rfc3339(WHEN) == "2026-11-21T06:05:00.123Z"


def test_namespace_is_configurable() -> None:
    custom = Lexicons("fm.example")
    assert custom.document("fm.example.track")["id"] == "fm.example.track"  # type: ignore[index]
    assert custom.document("fm.plyr.track") is None
    record = RecordBuilder(custom).like(subject_uri=REF[0], subject_cid=REF[1], created_at=WHEN)
    assert record["$type"] == "fm.example.like"


async def test_lexicons_are_served(client: AsyncClient) -> None:
    track = (await client.get("/lexicons/fm.plyr.track")).json()
    assert track["id"] == "fm.plyr.track" and track["defs"]["main"]["key"] == "tid"
    assert (await client.get("/lexicons/fm.plyr.nope")).status_code == 404
    for name in Lexicons().names():
        assert (await client.get(f"/lexicons/{name}")).status_code == 200
