"""The shared secret between the assistant's own processes (bot -> engine -> action server).

The engine's REST channel accepts any sender id and the action server runs any action for
any tracker, so whoever reaches them can act as any resident (e.g. erase their data with
`/delete_my_data` + `/affirm`). Both listen on loopback; in front of them every caller
sends `X-Laikhe-Secret` and both servers refuse a request without it (the engine through
engine_addons/serve.py, the action server through rasa_sdk_plugins/, HAProxy at its
entry points in the multi-host layout). The secret comes from the environment
(`INTERNAL_SECRET`, e.g. a systemd `EnvironmentFile=` of mode 600), never from argv.

Standard library and Sanic only: the engine environment imports it too.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Mapping
from typing import Any

HEADER = "X-Laikhe-Secret"
ENV = "INTERNAL_SECRET"
MIN_LENGTH = 16

logger = logging.getLogger(__name__)


def configured_secret(environ: Mapping[str, str] | None = None) -> str | None:
    """The secret, or None when this process runs without one (loopback-only dev use)."""
    value = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not value:
        return None
    if len(value) < MIN_LENGTH:
        raise SystemExit(
            f"{ENV} is too short; make one with: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value


def is_allowed(presented: str | None, secret: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), secret.encode())


def install_sanic_guard(app: Any, *, open_paths: frozenset[str], secret: str | None) -> None:
    """Refuse (403) every request to `app` without the secret, except the liveness paths
    in `open_paths` (they reveal nothing and HAProxy's health checks call them bare)."""
    if secret is None:
        logger.warning("%s is not set: %s accepts requests without it", ENV, app.name)
        return
    from sanic import response

    async def require_secret(request: Any) -> Any:
        if request.path in open_paths or is_allowed(request.headers.get(HEADER), secret):
            return None
        return response.json({"error": "forbidden"}, status=403)

    app.register_middleware(require_secret, "request")
