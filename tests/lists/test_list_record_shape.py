"""What an fm.plyr.list record of plyr's is made of: names the lexicon takes (whole
graphemes, at most 64 in 256 UTF-8 bytes), record keys, and the record valid for the lexicon."""

from __future__ import annotations

from datetime import UTC, datetime

from plyr.atproto.lexicon import Lexicons
from plyr.atproto.records import RecordBuilder, tid_for
from plyr.lists.records import key_in, record_key, record_name


def test_names_fit_the_lexicon() -> None:
    assert record_name("  Night Mix ") == "Night Mix"
    assert record_name("é" * 256) == "é" * 64
    family = "👨‍👩‍👧"  # one grapheme: five code points, 18 UTF-8 bytes
    assert record_name(family * 70) == family * 14  # 252 bytes: the 15th would pass 256
    assert record_name("   ") == "untitled"
    record = RecordBuilder(Lexicons("fm.plyr")).list(
        name=record_name("👨‍👩‍👧" * 40),
        list_type="playlist",
        items=[("at://did:plc:abc/fm.plyr.track/3kabc", "bafyreiabc")],
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )
    assert record["listType"] == "playlist" and len(record["name"].encode()) <= 256
    assert record["items"] == [
        {"subject": {"uri": "at://did:plc:abc/fm.plyr.track/3kabc", "cid": "bafyreiabc"}}
    ]


def test_record_keys() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert record_key(None, moment) == tid_for(moment)
    uri = "at://did:plc:abc/fm.plyr.list/3lkey"
    assert record_key(uri, moment) == "3lkey" == key_in(uri)
    assert key_in(None) is None
