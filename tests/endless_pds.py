"""A PDS (and PLC directory) on 127.0.0.1 that never stops listing: each `listRecords`
page names a next cursor, repeats the one it was given, or is far larger than asked. The
tests choose the behaviour and count the requests."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DID = "did:plc:endlessendlessendless222"


@dataclass
class EndlessPds:
    url: str = ""
    mode: str = "endless"  # "endless", "repeat", "huge", or "fixed": one page of `records`
    huge_page: int = 20_000
    records: dict[str, list[Any]] = field(default_factory=dict)  # by collection
    pages: Counter[str] = field(default_factory=Counter)  # listRecords calls per collection

    def did_document(self) -> dict[str, Any]:
        return {
            "id": DID,
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.url,
                }
            ],
        }

    def list_page(self, collection: str, limit: int, cursor: str | None) -> dict[str, Any]:
        self.pages[collection] += 1
        if self.mode == "fixed":
            return {"records": self.records.get(collection, [])}
        size = self.huge_page if self.mode == "huge" else limit
        start = int(cursor or 0)
        records = [
            {
                "uri": f"at://{DID}/{collection}/{start + i}",
                "cid": f"bafy{start + i}",
                "value": {"$type": collection, "not": "a valid record"},
            }
            for i in range(size)
        ]
        next_cursor = (cursor or "0") if self.mode == "repeat" else str(start + size)
        return {"records": records, "cursor": next_cursor}


def _handler(pds: EndlessPds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == f"/{DID}":
                self._json(200, pds.did_document())
            elif parts.path == "/xrpc/com.atproto.repo.listRecords":
                page = pds.list_page(
                    query["collection"], int(query.get("limit", 50)), query.get("cursor")
                )
                self._json(200, page)
            else:
                self._json(404, {"error": "RecordNotFound", "message": "no such record"})

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def endless_pds(mode: str = "endless") -> Iterator[EndlessPds]:
    pds = EndlessPds(mode=mode)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(pds))
    pds.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pds
    finally:
        server.shutdown()
        server.server_close()
