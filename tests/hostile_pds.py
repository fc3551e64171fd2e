"""A hostile PDS for tests: a did:plc registered on the devnet PLC whose PDS endpoint is a
small HTTP server on 127.0.0.1 that the test controls. It answers what plyr reads from a
repo (`describeRepo`, `listRecords`, `getRecord`) with whatever records the test sets,
including ones whose URIs name other accounts' records; it takes app-password sign-in and
any write, and remembers every write it was sent."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import libipld
from atproto_crypto.did import format_did_key
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SOME_CID = "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ES256 as AT Protocol wants it: raw r||s, low-S."""
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    s = min(s, P256_ORDER - s)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def register_did_plc(plc_url: str, handle: str, pds_endpoint: str) -> str:
    """Create a did:plc on the PLC directory (a signed genesis operation) naming
    `pds_endpoint` as its PDS; returns the DID."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    did_key = format_did_key("ES256", public)
    operation: dict[str, Any] = {
        "type": "plc_operation",
        "rotationKeys": [did_key],
        "verificationMethods": {"atproto": did_key},
        "alsoKnownAs": [f"at://{handle}"],
        "services": {
            "atproto_pds": {"type": "AtprotoPersonalDataServer", "endpoint": pds_endpoint}
        },
        "prev": None,
    }
    operation["sig"] = _b64url(_sign(key, libipld.encode_dag_cbor(operation)))
    digest = hashlib.sha256(libipld.encode_dag_cbor(operation)).digest()
    did = "did:plc:" + base64.b32encode(digest).decode().lower().rstrip("=")[:24]
    response = httpx.post(f"{plc_url}/{did}", json=operation, timeout=15)
    response.raise_for_status()
    return did


@dataclass
class HostilePds:
    """The server; `records[collection]` is what `listRecords` answers (uri, cid, value)."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    writes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    put_uri: str | None = None  # when set, what every putRecord answers as its URI
    did: str = ""
    handle: str = ""
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self, plc_url: str, handle: str) -> HostilePds:
        self._thread.start()
        self.handle = handle
        self.did = register_did_plc(plc_url, handle, self.url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        """(status, JSON body) for one XRPC call."""
        if method == "com.atproto.server.createSession":
            if body.get("password") != self.password:
                return 401, {"error": "AuthenticationRequired", "message": "wrong password"}
            tokens = {"accessJwt": "access", "refreshJwt": "refresh", "active": True}
            return 200, {"did": self.did, "handle": self.handle, **tokens}
        if method == "com.atproto.repo.describeRepo":
            collections = sorted(self.records)
            return 200, {"did": self.did, "handle": self.handle, "collections": collections}
        if method == "com.atproto.repo.listRecords":
            return 200, {"records": self.records.get(params.get("collection", ""), [])}
        if method == "com.atproto.repo.getRecord":
            wanted = f"/{params.get('collection')}/{params.get('rkey')}"
            for record in self.records.get(params.get("collection", ""), []):
                if record["uri"].endswith(wanted):
                    return 200, record
            return 400, {"error": "RecordNotFound", "message": "no such record"}
        self.writes.append((method, body))
        if method == "com.atproto.repo.uploadBlob":
            blob = {"$type": "blob", "ref": {"$link": SOME_CID}, "mimeType": "audio/mpeg"}
            return 200, {"blob": {**blob, "size": 1}}
        uri = f"at://{self.did}/{body.get('collection')}/{body.get('rkey', 'x')}"
        return 200, {"uri": self.put_uri or uri, "cid": SOME_CID}


def _handler(pds: HostilePds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            parts = urlsplit(self.path)
            method = parts.path.removeprefix("/xrpc/")
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(size) if size else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {"bytes": len(raw)}
            status, answer = pds.answer(method, params, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _reply

        def log_message(self, *args: Any) -> None:
            return None

    return Handler


# ---- firehose events, as `subscribeRepos` sends them ------------------------------------


def _varint(n: int) -> bytes:
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        out += bytes([low | (0x80 if n else 0)])
        if not n:
            return out


def _cid(block: bytes) -> bytes:
    """CIDv1, dag-cbor, sha2-256: the binary form."""
    return b"\x01\x71\x12\x20" + hashlib.sha256(block).digest()


def _car(blocks: list[bytes]) -> bytes:
    """A CAR v1 holding the blocks, the first one its root."""
    root = _cid(blocks[0])
    tagged = b"\xd8\x2a" + bytes([0x58, len(root) + 1]) + b"\x00" + root  # CBOR tag 42
    header = b"\xa2\x65roots\x81" + tagged + b"\x67version\x01"
    out = _varint(len(header)) + header
    for block in blocks:
        out += _varint(len(_cid(block)) + len(block)) + _cid(block) + block
    return out


def commit_frame(repo: str, seq: int, ops: list[tuple[str, str, dict[str, Any] | None]]) -> bytes:
    """A `#commit` frame of `repo` as the SDK's firehose client hands it over: ops are
    (action, path, record or None for a delete). Links are plain CID bytes, which the SDK
    reads as it reads tag-42 links; nothing is signed (plyr checks no signatures)."""
    commit = libipld.encode_dag_cbor({"did": repo, "version": 3, "rev": "3m2abcdefgh22"})
    records = [libipld.encode_dag_cbor(record) for _, _, record in ops if record is not None]
    body = {
        "seq": seq,
        "rebase": False,
        "tooBig": False,
        "repo": repo,
        "commit": _cid(commit),
        "rev": "3m2abcdefgh22",
        "since": None,
        "blocks": _car([commit, *records]),
        "ops": [
            {
                "action": action,
                "path": path,
                "cid": _cid(libipld.encode_dag_cbor(record)) if record is not None else None,
            }
            for action, path, record in ops
        ],
        "blobs": [],
        "time": "2026-12-03T07:00:00.000Z",
    }
    header = libipld.encode_dag_cbor({"op": 1, "t": "#commit"})
    return header + libipld.encode_dag_cbor(body)
