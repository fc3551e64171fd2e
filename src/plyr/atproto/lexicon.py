"""plyr's lexicons (the JSON documents in `plyr/lexicons/`) and validation of records
against them, so a record builder that drifts from its lexicon fails before it is written."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import regex
from atproto_client.models import string_formats
from pydantic import TypeAdapter, ValidationError

from plyr.atproto.uris import owned_uri

log = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "fm.plyr"
STRONG_REF = "com.atproto.repo.strongRef"
SELF_LABELS = "com.atproto.label.defs#selfLabels"
# the SDK's validators of the atproto string formats (they run only when asked to be strict)
FORMATS: dict[str, Any] = {
    "datetime": string_formats.DateTime,
    "uri": string_formats.Uri,
    "did": string_formats.Did,
    "handle": string_formats.Handle,
    "at-uri": string_formats.AtUri,
    "nsid": string_formats.Nsid,
    "cid": string_formats.Cid,
    "tid": string_formats.Tid,
    "record-key": string_formats.RecordKey,
    "language": string_formats.Language,
    "at-identifier": string_formats.AtIdentifier,
}
STRICT = {"strict_string_format": True}


class LexiconError(ValueError):
    """A record does not match its lexicon; `str(e)` names the field and the rule."""


@dataclass(frozen=True)
class Lexicons:
    """The lexicon documents, with ids under the configured namespace."""

    namespace: str = DEFAULT_NAMESPACE

    def nsid(self, name: str) -> str:
        """`track` -> `fm.plyr.track` (or the configured namespace)."""
        return f"{self.namespace}.{name}"

    def document(self, nsid: str) -> dict[str, Any] | None:
        name = nsid.removeprefix(f"{self.namespace}.")
        if name == nsid:
            return None
        return _load(self.namespace, name)

    def required_fields(self, nsid: str) -> list[str]:
        document = self.document(nsid)
        if document is None:
            raise LexiconError(f"unknown lexicon: {nsid}")
        required: list[str] = _record_schema(nsid, document).get("required", [])
        return required

    def names(self) -> list[str]:
        return sorted(self.nsid(n) for n in _names())

    def validate(self, nsid: str, record: dict[str, Any]) -> None:
        """Raise LexiconError unless `record` is a valid `nsid` record with a matching $type."""
        document = self.document(nsid)
        if document is None:
            raise LexiconError(f"unknown lexicon: {nsid}")
        if record.get("$type") != nsid:
            raise LexiconError(f"$type must be {nsid!r}")
        validate_record(document, record)

    def accepts(self, name: str, repo_did: str, uri: str, record: Any) -> bool:
        """Whether a record read from `repo_did`'s repo may be indexed: its URI names that
        repo and the `name` collection (records speak only for their author), and it is a
        valid record. A refusal is logged, never raised: one bad record skips itself."""
        nsid = self.nsid(name)
        if owned_uri(uri, repo_did, nsid) is None:
            log.info("skipping %s record %s: not a record of %s", name, uri, repo_did)
            return False
        try:
            self.validate(nsid, record)
        except LexiconError as e:
            log.info("skipping invalid %s record %s: %s", name, uri, e)
            return False
        return True


def validate_record(document: dict[str, Any], record: Any) -> None:
    """Raise LexiconError unless `record` fits the record lexicon `document` (any
    document: plyr's own, or another service's copy of the same ids)."""
    _Validator(document).check(record, _record_schema(document["id"], document), "record")


def _record_schema(nsid: str, document: dict[str, Any]) -> dict[str, Any]:
    main = document["defs"]["main"]
    if main.get("type") != "record":
        raise LexiconError(f"{nsid} is a {main.get('type')}, not a record")
    schema: dict[str, Any] = main["record"]
    return schema


@lru_cache
def _names() -> tuple[str, ...]:
    files = resources.files("plyr.lexicons").iterdir()
    prefix = f"{DEFAULT_NAMESPACE}."
    return tuple(sorted(f.name[len(prefix) : -5] for f in files if f.name.endswith(".json")))


@lru_cache
def _load(namespace: str, name: str) -> dict[str, Any] | None:
    if name not in _names():
        return None
    text = resources.files("plyr.lexicons").joinpath(f"{DEFAULT_NAMESPACE}.{name}.json").read_text()
    if namespace != DEFAULT_NAMESPACE:
        text = text.replace(f'"{DEFAULT_NAMESPACE}.', f'"{namespace}.')
    document: dict[str, Any] = json.loads(text)
    return document


class _Validator:
    def __init__(self, document: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = document["defs"]

    def check(self, value: Any, schema: dict[str, Any], path: str) -> None:
        kind = schema["type"]
        check = getattr(self, f"_{kind}", None)
        if check is None:
            raise LexiconError(f"{path}: unsupported lexicon type {kind!r}")
        check(value, schema, path)

    def _object(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if not isinstance(value, dict):
            raise LexiconError(f"{path}: must be an object")
        for name in schema.get("required", []):
            if name not in value:
                raise LexiconError(f"{path}.{name}: is required")
        for name, prop in schema.get("properties", {}).items():
            if name in value:
                if value[name] is None:
                    raise LexiconError(f"{path}.{name}: omit empty fields instead of null")
                self.check(value[name], prop, f"{path}.{name}")

    def _string(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if not isinstance(value, str):
            raise LexiconError(f"{path}: must be a string")
        size = len(value.encode())
        if size < schema.get("minLength", 0) or size > schema.get("maxLength", size):
            raise LexiconError(
                f"{path}: length must be {schema.get('minLength', 0)}.."
                f"{schema.get('maxLength', '')} (UTF-8 bytes)"
            )
        graphemes = schema.get("maxGraphemes")
        if graphemes is not None and len(regex.findall(r"\X", value)) > graphemes:
            raise LexiconError(f"{path}: at most {graphemes} graphemes")
        _check_format(schema.get("format"), value, path)

    def _integer(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise LexiconError(f"{path}: must be an integer")
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            raise LexiconError(f"{path}: out of range")

    def _boolean(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if not isinstance(value, bool):
            raise LexiconError(f"{path}: must be a boolean")

    def _array(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if not isinstance(value, list):
            raise LexiconError(f"{path}: must be an array")
        if len(value) > schema.get("maxLength", len(value)):
            raise LexiconError(f"{path}: at most {schema['maxLength']} items")
        for i, item in enumerate(value):
            self.check(item, schema["items"], f"{path}[{i}]")

    def _ref(self, value: Any, schema: dict[str, Any], path: str) -> None:
        ref: str = schema["ref"]
        if ref.startswith("#"):
            self.check(value, self.defs[ref[1:]], path)
        elif ref == STRONG_REF:
            self._object(value, _STRONG_REF, path)
        elif ref == SELF_LABELS:
            self._object(value, _SELF_LABELS, path)
        else:
            raise LexiconError(f"{path}: unsupported reference {ref}")

    def _union(self, value: Any, schema: dict[str, Any], path: str) -> None:
        """Unions are open unless `closed` (the atproto spec): a `$type` this document does
        not name is someone else's extension, kept as it is."""
        if not isinstance(value, dict) or not isinstance(value.get("$type"), str):
            raise LexiconError(f"{path}: must be an object with a $type")
        if value["$type"] in schema["refs"]:
            self._ref(value, {"ref": value["$type"]}, path)
        elif schema.get("closed"):
            raise LexiconError(f"{path}: $type must be one of {schema['refs']}")

    def _blob(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if not isinstance(value, dict) or value.get("$type") != "blob":
            raise LexiconError(f"{path}: must be a blob reference")
        mime, size = value.get("mimeType", ""), value.get("size", -1)
        accept = schema.get("accept", ["*/*"])
        if not any(_mime_matches(mime, pattern) for pattern in accept):
            raise LexiconError(f"{path}: mimeType {mime!r} is not one of {accept}")
        if not isinstance(size, int) or size < 0 or size > schema.get("maxSize", size):
            raise LexiconError(f"{path}: blob is too large")
        if not isinstance(value.get("ref"), dict) or not isinstance(value["ref"].get("$link"), str):
            raise LexiconError(f"{path}: blob ref must be {{'$link': cid}}")
        _check_format("cid", value["ref"]["$link"], f"{path}.ref")


_STRONG_REF = {
    "type": "object",
    "required": ["uri", "cid"],
    "properties": {
        "uri": {"type": "string", "format": "at-uri"},
        "cid": {"type": "string", "format": "cid", "maxLength": 128},
    },
}
_SELF_LABELS = {
    "type": "object",
    "required": ["values"],
    "properties": {
        "values": {
            "type": "array",
            "maxLength": 10,
            "items": {
                "type": "object",
                "required": ["val"],
                "properties": {"val": {"type": "string", "maxLength": 128}},
            },
        }
    },
}


# one bare `type/subtype`: no parameters, no lists (`audio/mpeg, text/html` is refused)
_MIME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*/[A-Za-z0-9][A-Za-z0-9.+-]*")


def _mime_matches(mime: str, pattern: str) -> bool:
    if not isinstance(mime, str) or not _MIME.fullmatch(mime):
        return False
    if pattern in ("*/*", mime):
        return True
    return pattern.endswith("/*") and mime.startswith(pattern[:-1])


def _check_format(fmt: str | None, value: str, path: str) -> None:
    if fmt is None or fmt not in FORMATS:
        return
    try:
        _adapter(fmt).validate_python(value, context=STRICT)
    except ValidationError:
        raise LexiconError(f"{path}: not a valid {fmt}") from None


@lru_cache
def _adapter(fmt: str) -> TypeAdapter[str]:
    return TypeAdapter(FORMATS[fmt])
