"""Labels from other labelers: checked (source, shape, signature) and kept with the cursor
of the stream they came from, in one transaction, then applied."""

from __future__ import annotations

import logging
from typing import Any

import libipld
from atproto_crypto.verify import verify_signature

from plyr.core.runtime import Runtime
from plyr.models import Label
from plyr.moderation.labeler import repository, service

log = logging.getLogger(__name__)

EXTERNAL = "external"
LIMITS = {"uri": 1024, "cid": 255, "val": 128, "cts": 64, "exp": 64}


def cursor_key(did: str) -> str:
    return f"labels:{did}"


async def saved_cursor(runtime: Runtime, did: str) -> int | None:
    async with runtime.sessionmaker() as db:
        return await repository.saved_cursor(db, cursor_key(did))


def signed_by(did_key: str, raw: dict[str, Any]) -> bool:
    """Whether `raw` (a label as it came) carries a valid signature by `did_key`."""
    sig = raw.get("sig")
    if not isinstance(sig, bytes):
        return False
    unsigned = {k: v for k, v in raw.items() if k != "sig"}
    try:
        return verify_signature(did_key, bytes(libipld.encode_dag_cbor(unsigned)), sig)
    except Exception:  # a malformed key or signature is an invalid one
        return False


def as_row(src: str, raw: dict[str, Any]) -> Label | None:
    """The label as a row, if it is well-formed and comes from `src`."""
    fields = {name: raw.get(name) for name in ("uri", "cid", "val", "cts", "exp")}
    if raw.get("src") != src or not all(isinstance(fields[k], str) for k in ("uri", "val", "cts")):
        return None
    for name, value in fields.items():
        if value is not None and (not isinstance(value, str) or len(value) > LIMITS[name]):
            return None
    return Label(
        origin=EXTERNAL,
        src=src,
        uri=fields["uri"],
        cid=fields["cid"],
        val=fields["val"],
        neg=raw.get("neg") is True,
        cts=fields["cts"],
        exp=fields["exp"],
        sig=raw["sig"],
    )


async def keep(
    runtime: Runtime, src: str, did_key: str, seq: int, raw_labels: list[dict[str, Any]]
) -> int:
    """Store and apply the labels of one frame that verify; the cursor moves to `seq`
    either way (a forged label is dropped, not retried). The number kept."""
    rows = []
    for raw in raw_labels:
        row = as_row(src, raw) if signed_by(did_key, raw) else None
        if row is None:
            log.warning("labeler %s: dropped a label that does not verify (seq %s)", src, seq)
        else:
            rows.append(row)
    async with runtime.writer() as db:
        for row in rows:
            repository.add(db, row)
            await db.flush()
            await service.apply_effect(db, uri=row.uri, val=row.val, neg=row.neg, src=src)
        await repository.save_cursor(db, cursor_key(src), seq)
        await db.commit()
    return len(rows)
