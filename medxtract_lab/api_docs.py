"""/docs (Swagger UI) and /redoc with no network: the app comes from fastapi-offline, which
ships both UIs' files and serves them from this server, and the two pages carry a
Content-Security-Policy that lets the browser fetch from this server only.

The policy matters because a bundled UI may still name another host at run time: ReDoc 2's
sidebar loads its maker's logo from a CDN. Under the policy the browser refuses that request
before it leaves the machine, and the logo, which hides itself when it fails, is simply absent.
"""

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

DOCS_URL, REDOC_URL = "/docs", "/redoc"
# 'unsafe-inline': FastAPI's pages start each UI with an inline script, and both UIs set inline
# styles; blob: is ReDoc's search worker; data: covers the icons inlined in Swagger UI's CSS.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)


class DocsPolicy:
    """ASGI middleware adding ``DOCS_POLICY`` to the responses of the documentation pages."""

    def __init__(self, app: Any, paths: frozenset[str]) -> None:
        self.app, self.paths = app, paths

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "").removeprefix(scope.get("root_path", ""))
        if scope["type"] != "http" or path not in self.paths:
            await self.app(scope, receive, send)
            return

        async def with_policy(message: dict) -> None:
            if message["type"] == "http.response.start":
                policy = (b"content-security-policy", DOCS_POLICY.encode())
                message = {**message, "headers": [*message.get("headers", []), policy]}
            await send(message)

        await self.app(scope, receive, with_policy)


def offline_app(**settings: Any) -> FastAPI:
    """A FastAPI app (``settings`` as for ``FastAPI``) whose docs pages need no network."""
    app = FastAPIOffline(docs_url=DOCS_URL, redoc_url=REDOC_URL, **settings)
    app.add_middleware(DocsPolicy, paths=frozenset({DOCS_URL, REDOC_URL}))
    return app
