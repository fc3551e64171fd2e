"""Building plyr's records, each validated against its lexicon before anyone writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from plyr.atproto.lexicon import SELF_LABELS, Lexicons

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid_for(moment: datetime, clock_id: int = 0) -> str:
    """The record key for something created at `moment`: the same moment gives the same key,
    so a retried `putRecord` overwrites instead of duplicating."""
    micros = int(moment.astimezone(UTC).timestamp() * 1_000_000)
    value = (micros << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def rfc3339(moment: datetime) -> str:
    """`2026-11-21T06:05:00.123Z`: UTC with a Z, millisecond precision."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_datetime(value: str) -> datetime:
    """A record's datetime (RFC 3339, `Z` or an offset); now when it cannot be read."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """Omit empty optional fields (the lexicon style): None, "", [] and {}."""
    return {k: v for k, v in record.items() if v not in (None, "", [], {})}


class RecordBuilder:
    def __init__(self, lexicons: Lexicons) -> None:
        self.lexicons = lexicons

    def _build(self, name: str, fields: dict[str, Any]) -> dict[str, Any]:
        """The record without its empty optional fields, valid for its lexicon."""
        nsid = self.lexicons.nsid(name)
        required = self.lexicons.required_fields(nsid)
        record = {"$type": nsid, **_compact(fields), **{k: fields[k] for k in required}}
        self.lexicons.validate(nsid, record)
        return record

    def track(
        self,
        *,
        title: str,
        artist: str,
        file_type: str,
        created_at: datetime,
        audio_url: str | None = None,
        audio_blob: dict[str, Any] | None = None,
        album: str | None = None,
        duration: int | None = None,
        features: list[dict[str, str]] | None = None,
        image_url: str | None = None,
        description: str | None = None,
        self_labels: list[str] | None = None,
    ) -> dict[str, Any]:
        if audio_url is None and audio_blob is None:
            raise ValueError("a track record needs audioUrl or audioBlob")
        feature_fields = [
            _compact(
                {"did": f["did"], "handle": f.get("handle"), "displayName": f.get("display_name")}
            )
            for f in features or []
        ]
        return self._build(
            "track",
            {
                "title": title,
                "artist": artist,
                "fileType": file_type,
                "createdAt": rfc3339(created_at),
                "audioUrl": audio_url,
                "audioBlob": audio_blob,
                "album": album,
                "duration": duration,
                "features": feature_fields,
                "imageUrl": image_url,
                "description": description,
                "labels": {
                    "$type": SELF_LABELS,
                    "values": [{"val": label} for label in self_labels],
                }
                if self_labels
                else None,
            },
        )

    def like(self, *, subject_uri: str, subject_cid: str, created_at: datetime) -> dict[str, Any]:
        return self._build(
            "like",
            {
                "subject": {"uri": subject_uri, "cid": subject_cid},
                "createdAt": rfc3339(created_at),
            },
        )

    def comment(
        self,
        *,
        subject_uri: str,
        subject_cid: str,
        text: str,
        timestamp_ms: int,
        created_at: datetime,
        updated_at: datetime | None = None,
    ) -> dict[str, Any]:
        return self._build(
            "comment",
            {
                "subject": {"uri": subject_uri, "cid": subject_cid},
                "text": text,
                "timestampMs": timestamp_ms,
                "createdAt": rfc3339(created_at),
                "updatedAt": rfc3339(updated_at) if updated_at else None,
            },
        )

    def list(
        self,
        *,
        name: str,
        list_type: str,
        items: list[tuple[str, str]],
        created_at: datetime,
        updated_at: datetime | None = None,
    ) -> dict[str, Any]:
        return self._build(
            "list",
            {
                "name": name,
                "listType": list_type,
                "items": [{"subject": {"uri": uri, "cid": cid}} for uri, cid in items],
                "createdAt": rfc3339(created_at),
                "updatedAt": rfc3339(updated_at) if updated_at else None,
            },
        )

    def profile(
        self,
        *,
        created_at: datetime,
        bio: str | None = None,
        avatar: str | None = None,
        updated_at: datetime | None = None,
    ) -> dict[str, Any]:
        return self._build(
            "actor.profile",
            {
                "bio": bio,
                "avatar": avatar,
                "createdAt": rfc3339(created_at),
                "updatedAt": rfc3339(updated_at) if updated_at else None,
            },
        )
