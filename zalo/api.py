"""A small client of the Zalo Bot Platform: every method is a POST with a JSON body to
`<base>/bot<TOKEN>/<method>`, answered `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": ..., "description": ...}` (docs/channels.md).

What an error means for a message (surely not sent, failed for good, or maybe sent) is
read here once, the way bot/sender.classify reads Telegram's.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import httpx

from bot.sender import Outcome

logger = logging.getLogger(__name__)

# No answer code is documented for "no update within the timeout": an empty result or a
# 408 both mean nothing arrived.
NO_UPDATE_CODES: Final = frozenset({408})


class ZaloApiError(Exception):
    """Zalo answered that the call failed (an error status or `ok: false`)."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ZaloUnreadable(Exception):
    """An answer that is not the documented JSON envelope: the call may have worked."""


# The request never fully left this machine: Zalo cannot have acted on it.
_NOT_SENT: Final = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
)


def classify(error: Exception) -> Outcome:
    """Surely not sent (retry), refused for good (failed), or maybe sent (unknown: never
    resent, Zalo has no idempotency key either)."""
    if isinstance(error, ZaloApiError):
        if error.code == 429:
            # Flood control; no retry_after is documented, so a given one is obeyed by the
            # whole bot and otherwise the caller's backoff applies.
            if error.retry_after:
                return Outcome("retry", delay=error.retry_after, error=str(error), flood=True)
            return Outcome("retry", error=f"Zalo báo gửi quá nhanh: {error.description}")
        if error.code >= 500:
            # Zalo answered that the call failed: nothing was delivered (as for Telegram).
            return Outcome("retry", error=f"máy chủ Zalo báo lỗi: {error.description}")
        return Outcome("failed", error=f"Zalo từ chối: {error.description}")
    if isinstance(error, _NOT_SENT):
        return Outcome("retry", error=f"không kết nối được tới Zalo: {type(error).__name__}")
    if isinstance(error, httpx.TimeoutException):
        return Outcome("unknown", error="hết thời gian chờ phản hồi sau khi đã gửi yêu cầu")
    if isinstance(error, httpx.HTTPError):
        lost = type(error).__name__
        return Outcome("unknown", error=f"mất kết nối sau khi đã gửi yêu cầu: {lost}")
    if isinstance(error, ZaloUnreadable):
        return Outcome("unknown", error="phản hồi của Zalo không đọc được")
    return Outcome("unknown", error=f"lỗi không xác định: {type(error).__name__}")


class ZaloApi:
    def __init__(self, token: str, base_url: str, timeout: float = 20.0) -> None:
        # The token is part of every path: httpx logs at INFO would print it, so its
        # logger is kept at WARNING by the process (zalo/__main__.py).
        self._prefix = f"/bot{token}/"
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=5.0),
        )

    async def call(
        self, method: str, body: dict[str, Any] | None = None, *, read_timeout: float | None = None
    ) -> Any:
        """The `result` of a call; raises ZaloApiError, ZaloUnreadable or httpx errors."""
        timeout = (
            httpx.Timeout(read_timeout + 10.0, connect=5.0)
            if read_timeout is not None
            else httpx.USE_CLIENT_DEFAULT
        )
        response = await self._client.post(self._prefix + method, json=body or {}, timeout=timeout)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if response.is_success:
                raise ZaloUnreadable(method)
            raise ZaloApiError(response.status_code, response.reason_phrase)
        if answer.get("ok") is True and response.is_success:
            return answer.get("result")
        code = answer.get("error_code")
        parameters = answer.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        return_code = code if isinstance(code, int) else response.status_code
        raise ZaloApiError(
            return_code,
            str(answer.get("description") or response.reason_phrase),
            float(retry_after) if isinstance(retry_after, (int, float)) else None,
        )

    async def get_updates(self, timeout: int) -> list[dict[str, Any]]:
        """Long polling: what arrived within `timeout` seconds (the docs show one update)."""
        try:
            result = await self.call("getUpdates", {"timeout": timeout}, read_timeout=timeout)
        except ZaloApiError as error:
            if error.code in NO_UPDATE_CODES:
                return []
            raise
        if isinstance(result, dict):
            return [result]
        if isinstance(result, list):
            return [item for item in result if isinstance(item, dict)]
        return []

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def aclose(self) -> None:
        await self._client.aclose()
