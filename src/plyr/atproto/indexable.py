"""Whether a record from someone's repo fits plyr's tables. The lexicon says what a record
may hold; the columns are narrower (a `String(64)` MIME type, an `Integer` duration) and
PostgreSQL refuses what does not fit, and any text holding a NUL character, with an error
that would end a sync or a firehose commit. So each record is checked against the columns
its fields are written to before any of it is written, and skipped when it does not fit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import InstrumentedAttribute

from plyr.models import Album, AudioFile, Comment, Track

URI_COLUMN = Track.atproto_record_uri  # every table's record columns are alike
CID_COLUMN = Track.atproto_record_cid
MIME_TYPE = re.compile(r"^audio/[a-z0-9][a-z0-9.+-]*$")
FILE_TYPE = re.compile(r"^\.?[A-Za-z0-9]{1,8}$")
HTTPS_URL = re.compile(r"^https://[^\s/?#@]+(/\S*)?$")


class UnindexableRecord(ValueError):
    """The record does not fit plyr's columns; `str(e)` names the field."""


@dataclass(frozen=True)
class Rule:
    """A record field (`a.b`, `items[].c` for each item) and what its column takes: the
    column's length or integer range, and optionally a shape."""

    path: str
    column: InstrumentedAttribute[Any] | None = None
    shape: re.Pattern[str] | None = None
    moment: bool = False  # a datetime that must convert to UTC (PostgreSQL's range)


_INTEGER_MAX = {Integer: 2**31 - 1, BigInteger: 2**63 - 1}

INDEXING_RULES: dict[str, tuple[Rule, ...]] = {
    "track": (
        Rule("title", Track.title),
        Rule("album", Album.title),
        Rule("fileType", AudioFile.ext, FILE_TYPE),
        Rule("duration", Track.duration),
        Rule("createdAt", moment=True),
        Rule("audioUrl", AudioFile.remote_url, HTTPS_URL),
        Rule("audioBlob.mimeType", AudioFile.content_type, MIME_TYPE),
        Rule("audioBlob.ref.$link", AudioFile.blob_cid),
        Rule("audioBlob.size", AudioFile.size),
        Rule("supportGate.type", Track.support_gate),
    ),
    "like": (
        Rule("subject.uri", URI_COLUMN),
        Rule("subject.cid", CID_COLUMN),
        Rule("createdAt", moment=True),
    ),
    "comment": (
        Rule("subject.uri", URI_COLUMN),
        Rule("subject.cid", CID_COLUMN),
        Rule("text", Comment.text),
        Rule("timestampMs", Comment.timestamp_ms),
        Rule("createdAt", moment=True),
        Rule("updatedAt", moment=True),
    ),
    "list": (
        Rule("name", Album.title),
        Rule("items[].subject.uri", URI_COLUMN),
        Rule("items[].subject.cid", CID_COLUMN),
        Rule("createdAt", moment=True),
        Rule("updatedAt", moment=True),
    ),
}


def validate_indexable(collection: str, uri: str, cid: str, record: Any) -> None:
    """Raise UnindexableRecord unless the record of `collection` (an indexer's name:
    "track", "like", "list", "comment") at `uri`/`cid` fits the columns it is written to."""
    if not isinstance(record, dict):
        raise UnindexableRecord("the record is not an object")
    _check_text("the record", record)
    _check_value("uri", uri, URI_COLUMN)
    _check_value("cid", cid, CID_COLUMN)
    for rule in INDEXING_RULES.get(collection, ()):
        for value in _values(record, rule.path.split(".")):
            _check_value(rule.path, value, rule.column, rule.shape)
            if rule.moment:
                _check_moment(rule.path, value)


def indexable_uri(uri: str) -> bool:
    """Whether a record URI fits the columns (e.g. for a deletion, which has no record)."""
    try:
        _check_text("uri", uri)
        _check_value("uri", uri, URI_COLUMN)
    except UnindexableRecord:
        return False
    return True


def _check_text(path: str, value: Any) -> None:
    """No NUL (PostgreSQL text cannot hold one) and nothing that is not UTF-8, anywhere."""
    if isinstance(value, str):
        if "\x00" in value:
            raise UnindexableRecord(f"{path}: holds a NUL character")
        try:
            value.encode()
        except UnicodeEncodeError:
            raise UnindexableRecord(f"{path}: is not valid Unicode") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(path, key)
            _check_text(f"{path}.{key}", item)
    elif isinstance(value, list):
        for item in value:
            _check_text(f"{path}[]", item)


def _check_value(
    path: str,
    value: Any,
    column: InstrumentedAttribute[Any] | None,
    shape: re.Pattern[str] | None = None,
) -> None:
    column_type = column.property.columns[0].type if column is not None else None
    length = column_type.length if isinstance(column_type, String) else None
    if length is not None and not (isinstance(value, str) and len(value) <= length):
        raise UnindexableRecord(f"{path}: must be text of at most {length} characters")
    for kind, maximum in _INTEGER_MAX.items():
        if type(column_type) is kind and not (
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= maximum
        ):
            raise UnindexableRecord(f"{path}: must be an integer from 0 to {maximum}")
    if shape is not None and not (isinstance(value, str) and shape.match(value)):
        raise UnindexableRecord(f"{path}: has not the expected form")


def _check_moment(path: str, value: Any) -> None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise UnindexableRecord(f"{path}: not a datetime plyr can store") from None


def _values(value: Any, path: list[str]) -> Iterator[Any]:
    """The values at `path` (absent fields give none; the lexicon decides what is required)."""
    if not path:
        yield value
        return
    name, rest = path[0], path[1:]
    each = name.endswith("[]")
    if not isinstance(value, dict) or name.removesuffix("[]") not in value:
        return
    found = value[name.removesuffix("[]")]
    for item in found if each and isinstance(found, list) else [found]:
        yield from _values(item, rest)
