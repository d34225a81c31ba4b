"""A real webhook receiver on localhost: checks the signature, drops repeats by id."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from healthcode.services.shared.outbound import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)


@dataclass
class Receiver:
    secret: str
    url: str = ""
    fail_next: int = 0  # answer this many requests with 503 first
    requests: int = 0
    refused: int = 0
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id: each once
    repeats: int = 0


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests += 1
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                return self._answer(503)
            good = verify_signature(
                receiver.secret,
                timestamp=self.headers.get(TIMESTAMP_HEADER, ""),
                body=body,
                signature=self.headers.get(SIGNATURE_HEADER, ""),
                now=time.time(),
            )
            if not good:
                receiver.refused += 1
                return self._answer(401)
            message = json.loads(body)
            if message["id"] in receiver.messages:
                receiver.repeats += 1  # a retry of one already handled: accepted, dropped
            else:
                receiver.messages[message["id"]] = message
            return self._answer(200)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def receiving(secret: str) -> Iterator[Receiver]:
    receiver = Receiver(secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/notices"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
