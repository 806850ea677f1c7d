"""HTTP client for the Rasa engine's REST channel. One pooled connection set per process.

Connections are kept open between messages (no TCP set-up per message), but for less time
than the engine keeps them: Rasa's web server (Sanic) closes an idle connection after 5 s,
and a request sent on a connection the server is closing fails, which a resident would see
as "the assistant is busy".
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from laikhe.internal_auth import HEADER as SECRET_HEADER

logger = logging.getLogger(__name__)


class EngineUnavailable(Exception):
    """The engine did not answer in time or answered with an error."""


ENGINE_KEEP_ALIVE_SECONDS = 5.0  # Sanic's KEEP_ALIVE_TIMEOUT default in Rasa 3.6
KEEP_ALIVE_SECONDS = ENGINE_KEEP_ALIVE_SECONDS - 1.5


class EngineClient:
    def __init__(self, base_url: str, timeout_seconds: float, secret: str | None = None) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            # The engine (and HAProxy before it) refuses requests without the shared secret.
            headers={SECRET_HEADER: secret} if secret else None,
            timeout=httpx.Timeout(timeout_seconds, connect=3.0),
            # A refused connection (engine restarting) is retried; a sent message never is.
            transport=httpx.AsyncHTTPTransport(
                retries=1,
                limits=httpx.Limits(
                    max_keepalive_connections=50,
                    max_connections=100,
                    keepalive_expiry=KEEP_ALIVE_SECONDS,
                ),
            ),
        )

    async def send(
        self, *, sender_id: str, message: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": sender_id, "message": message, "input_channel": channel}
        if metadata:
            body["metadata"] = metadata
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("engine call failed: %s", type(error).__name__)
            raise EngineUnavailable(str(error)) from error
        if not isinstance(payload, list):
            raise EngineUnavailable(f"unexpected engine answer: {type(payload).__name__}")
        return [item for item in payload if isinstance(item, dict)]

    async def aclose(self) -> None:
        await self._client.aclose()
