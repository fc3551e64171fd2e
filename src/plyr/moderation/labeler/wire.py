"""Labels on the wire (com.atproto.label.defs#label): the signed DAG-CBOR form, the JSON form
queryLabels returns, and subscribeLabels' binary frames (a DAG-CBOR header then a body)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import libipld

from plyr.models import Label

VERSION = 1


def now_cts() -> str:
    """A datetime as atproto writes it (UTC, milliseconds, `Z`)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def unsigned(label: Label) -> dict[str, Any]:
    """The label without `sig`: what is signed. Absent optional fields are left out (as are
    `neg: false` and `cid`/`exp` when unset), so anyone re-encoding what they received gets
    the same bytes."""
    body: dict[str, Any] = {"ver": VERSION, "src": label.src, "uri": label.uri}
    if label.cid:
        body["cid"] = label.cid
    body["val"] = label.val
    if label.neg:
        body["neg"] = True
    body["cts"] = label.cts
    if label.exp:
        body["exp"] = label.exp
    return body


def signing_bytes(label: Label) -> bytes:
    return bytes(libipld.encode_dag_cbor(unsigned(label)))


def cbor_form(label: Label) -> dict[str, Any]:
    """The label for a subscribeLabels frame (`sig` as CBOR bytes)."""
    body = unsigned(label)
    if label.sig is not None:
        body["sig"] = bytes(label.sig)
    return body


def json_form(label: Label) -> dict[str, Any]:
    """The label for queryLabels (`sig` as the atproto JSON `{"$bytes": base64}`)."""
    body = unsigned(label)
    if label.sig is not None:
        body["sig"] = {"$bytes": base64.b64encode(bytes(label.sig)).decode().rstrip("=")}
    return body


def labels_frame(seq: int, labels: list[Label]) -> bytes:
    header = {"op": 1, "t": "#labels"}
    body = {"seq": seq, "labels": [cbor_form(label) for label in labels]}
    return bytes(libipld.encode_dag_cbor(header)) + bytes(libipld.encode_dag_cbor(body))


def info_frame(name: str, message: str) -> bytes:
    header = {"op": 1, "t": "#info"}
    body = {"name": name, "message": message}
    return bytes(libipld.encode_dag_cbor(header)) + bytes(libipld.encode_dag_cbor(body))


def error_frame(error: str, message: str) -> bytes:
    return bytes(libipld.encode_dag_cbor({"op": -1})) + bytes(
        libipld.encode_dag_cbor({"error": error, "message": message})
    )
