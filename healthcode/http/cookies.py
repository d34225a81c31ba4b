"""Every cookie is Secure when the request arrived over HTTPS.

One rule at the edge instead of a ``secure=`` at each ``set_cookie``: a cookie set or
deleted anywhere (the session, the CSRF cookie, the language, a logout's deletion)
cannot be forgotten. Behind a TLS proxy (``serve --proxy``) uvicorn has already
turned X-Forwarded-Proto into the scope's scheme.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _secure(value: bytes) -> bytes:
    attributes = {part.strip().lower() for part in value.split(b";")[1:]}
    return value if b"secure" in attributes else value + b"; Secure"


class SecureCookiesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        (k, _secure(v) if k.lower() == b"set-cookie" else v)
                        for k, v in message.get("headers", ())
                    ],
                }
            await send(message)

        await self.app(scope, receive, secured)
