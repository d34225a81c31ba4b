"""ASGI plumbing the edge middlewares share: a request body read once, handed on again."""

from __future__ import annotations

from starlette.types import Message, Receive


def replay(body: bytes) -> Receive:
    """A ``receive`` that yields ``body`` once: a middleware that has read the body to
    check it passes the same bytes on to the app."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def no_body() -> Message:
    """A ``receive`` for an answer given without reading the request."""
    return {"type": "http.disconnect"}
