"""plyr and plyr.fm read each other's records: what plyr writes passes plyr.fm's lexicon
documents, and records of every shape plyr.fm's documents allow pass plyr's."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from plyr.atproto.lexicon import LexiconError, Lexicons, validate_record
from plyr.atproto.records import RecordBuilder

WHEN = datetime(2026, 11, 21, 6, 5, 0, tzinfo=UTC)
DID = "did:plc:abcdefghijklmnopqrstuvwx"
REF = (
    f"at://{DID}/fm.plyr.track/3m2abcdefgh22",
    "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
)
BLOB = {
    "$type": "blob",
    "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"},
    "mimeType": "audio/mpeg",
    "size": 1234,
}
SAMPLE_STRINGS = {
    "datetime": "2026-11-21T06:05:00.000Z",
    "uri": "https://plyr.fm/a.mp3",
    "did": DID,
    "handle": "alice.plyr.fm",
    "at-uri": REF[0],
}
PLYR_FM_ONLY = {"fm.plyr.privateMedia", "fm.plyr.privateMediaAccess"}  # spaces: not in plyr


def _plyr_fm_dir() -> Path:
    """plyr.fm's lexicon documents (`shared/spec/data/plyr-fm-lexicons`, beside the repo)."""
    if os.environ.get("PLYR_FM_LEXICONS"):
        return Path(os.environ["PLYR_FM_LEXICONS"])
    for parent in Path(__file__).resolve().parents:
        found = parent / "shared" / "spec" / "data" / "plyr-fm-lexicons"
        if found.is_dir():
            return found
    raise AssertionError("plyr.fm's lexicons not found: set PLYR_FM_LEXICONS")


PLYR_FM = {
    doc["id"]: doc
    for doc in (json.loads(p.read_text()) for p in sorted(_plyr_fm_dir().glob("*.json")))
}
RECORDS = sorted(n for n, d in PLYR_FM.items() if d["defs"]["main"]["type"] == "record")
builder = RecordBuilder(Lexicons())


def plyr_written() -> list[dict[str, Any]]:
    """A record of each kind plyr writes, with every field it can fill."""
    return [
        builder.track(
            title="First Light",
            artist="Alice",
            file_type="mp3",
            created_at=WHEN,
            audio_url="https://plyr.example/audio/0123456789abcdef",
            audio_blob=BLOB,
            album="LP",
            duration=184,
            features=[{"did": DID, "handle": "bob.test", "displayName": "Bob"}],
            image_url="https://plyr.example/media/images/x.webp",
            description="notes",
            self_labels=["sexual"],
        ),
        builder.like(subject_uri=REF[0], subject_cid=REF[1], created_at=WHEN),
        builder.comment(
            subject_uri=REF[0],
            subject_cid=REF[1],
            text="nice drop",
            timestamp_ms=45_000,
            created_at=WHEN,
            updated_at=WHEN,
        ),
        builder.list(name="LP", list_type="album", items=[REF, REF], created_at=WHEN),
        builder.list(name="Liked Tracks", list_type="liked", items=[], created_at=WHEN),
        builder.profile(created_at=WHEN, bio="hi"),
    ]


@pytest.mark.parametrize("record", plyr_written(), ids=lambda r: r["$type"])
def test_what_plyr_writes_passes_plyr_fm_lexicons(record: dict[str, Any]) -> None:
    validate_record(PLYR_FM[record["$type"]], record)


def sample(document: dict[str, Any], schema: dict[str, Any], full: bool) -> Any:
    """A value of `schema` as plyr.fm's document describes it: every optional property
    (`full`) or only the required ones."""
    kind = schema["type"]
    if kind == "object":
        names = schema.get("properties", {}) if full else schema.get("required", [])
        return {n: sample(document, schema["properties"][n], full) for n in names}
    if kind == "string":
        if schema.get("format"):
            return SAMPLE_STRINGS[schema["format"]]
        return (schema.get("knownValues") or ["x"])[0]
    if kind == "integer":
        return schema.get("minimum", 0) + 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(document, schema["items"], full)]
    if kind == "blob":
        return BLOB
    if kind == "union":
        return {"$type": schema["refs"][0], "values": [{"val": "sexual"}]}
    ref = schema["ref"]
    if ref == "com.atproto.repo.strongRef":
        return {"uri": REF[0], "cid": REF[1]}
    return sample(document, document["defs"][ref.removeprefix("#")], full)


@pytest.mark.parametrize("full", [True, False], ids=["every-field", "required-only"])
@pytest.mark.parametrize("nsid", RECORDS)
def test_records_shaped_by_plyr_fm_lexicons_pass_plyr(nsid: str, full: bool) -> None:
    document = PLYR_FM[nsid]
    record = {"$type": nsid, **sample(document, document["defs"]["main"]["record"], full)}
    validate_record(document, record)  # the sample is right by plyr.fm's own document
    Lexicons().validate(nsid, record)


def test_records_plyr_fm_writes_in_practice_pass_plyr() -> None:
    lexicons = Lexicons()
    reordered_album = {  # plyr.fm's PUT /lists/{rkey}/reorder
        "$type": "fm.plyr.list",
        "items": [{"subject": {"uri": REF[0], "cid": REF[1]}}],
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-02T00:00:00.123456+00:00",
    }
    lexicons.validate("fm.plyr.list", reordered_album)
    gated = {
        "$type": "fm.plyr.track",
        "title": "t",
        "artist": "a",
        "fileType": "mp3",
        "createdAt": "2026-01-01T00:00:00Z",
        "supportGate": {"type": "copyright"},
        "labels": {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "porn"}]},
    }
    lexicons.validate("fm.plyr.track", gated)
    with pytest.raises(LexiconError, match="not a valid datetime"):
        lexicons.validate("fm.plyr.track", {**gated, "createdAt": "2026-13-01T00:00:00Z"})


def test_plyr_ships_plyr_fm_lexicons_with_the_same_definitions() -> None:
    lexicons = Lexicons()
    with pytest.raises(LexiconError, match="permission-set, not a record"):
        lexicons.validate("fm.plyr.authFullApp", {"$type": "fm.plyr.authFullApp"})
    for nsid, theirs in PLYR_FM.items():
        if nsid in PLYR_FM_ONLY:
            continue
        ours = lexicons.document(nsid)
        assert ours is not None, f"{nsid} is not shipped"
        assert set(ours["defs"]) == set(theirs["defs"]), nsid
        main, their_main = ours["defs"]["main"], theirs["defs"]["main"]
        assert main["type"] == their_main["type"], nsid
        if main["type"] == "record":
            assert main["record"]["required"] == their_main["record"]["required"], nsid
        else:
            assert main["permissions"] == their_main["permissions"], nsid


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("createdAt", "2026-01-01T00:00:00-00:00"),  # "-00:00" is no offset in RFC 3339
        ("subject.uri", "at://did:plc:abcdefghijklmnopqrstuvwx/not-an-nsid/3m2abc"),
        ("subject.uri", "at://did:plc:abcdefghijklmnopqrstuvwx:/fm.plyr.track/3m2abc"),
    ],
)
def test_string_formats_are_the_sdks(field: str, value: str) -> None:
    """The atproto SDK's validators decide the formats (a DID may not end in ':', a
    collection is an NSID), not hand-written patterns."""
    like = {"$type": "fm.plyr.like", "subject": {"uri": REF[0], "cid": REF[1]}}
    like["createdAt"] = "2026-01-01T00:00:00Z"
    if field == "createdAt":
        like["createdAt"] = value
    else:
        like["subject"] = {"uri": value, "cid": REF[1]}
    with pytest.raises(LexiconError, match="not a valid"):
        Lexicons().validate("fm.plyr.like", like)


def test_a_blob_link_must_be_a_cid() -> None:
    record = {
        "$type": "fm.plyr.track",
        "title": "t",
        "artist": "a",
        "fileType": "mp3",
        "createdAt": "2026-01-01T00:00:00Z",
        "audioBlob": {**BLOB, "ref": {"$link": "not a cid!"}},
    }
    with pytest.raises(LexiconError, match=r"audioBlob\.ref: not a valid cid"):
        Lexicons().validate("fm.plyr.track", record)
