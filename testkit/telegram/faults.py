"""Failure injection: the next calls of a method fail, lose their connection, are slow, or
take effect and then lose their answer (the case a retry duplicates)."""

from __future__ import annotations

from http import HTTPStatus

from testkit.telegram.core import ServerState
from testkit.telegram.state import Fault, Params


class FaultInjection(ServerState):
    def _add_fault(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, params: Params) -> Fault | None:
        with self._lock:
            chat_id = params.values.get("chat_id")
            for fault in self._faults:
                if fault.method != method.lower() or fault.remaining <= 0:
                    continue
                if fault.chat_id is not None and fault.chat_id != chat_id:
                    continue
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def fail_next(
        self,
        method: str,
        count: int = 1,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Makes the next ``count`` calls of ``method`` (optionally only for ``chat_id``) fail.

        429 carries ``parameters.retry_after`` (default 1 s), which PTB raises as RetryAfter;
        5xx become NetworkError, 400 BadRequest, 403 Forbidden. The failing call has no effect.
        """
        if status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is None:
            retry_after = 1
        if description is None:
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                description = f"Too Many Requests: retry after {retry_after}"
            elif status == HTTPStatus.BAD_REQUEST:
                description = "Bad Request: injected failure"
            elif status == HTTPStatus.FORBIDDEN:
                description = "Forbidden: injected failure"
            else:
                try:
                    description = HTTPStatus(status).phrase
                except ValueError:
                    description = f"Error {status}"
        self._add_fault(
            Fault(
                method.lower(),
                count,
                "error",
                status=status,
                description=description,
                retry_after=retry_after,
                chat_id=chat_id,
            )
        )

    def drop_connection_next(
        self, method: str, count: int = 1, *, chat_id: int | None = None
    ) -> None:
        """Closes the connection without a response for the next ``count`` calls of ``method``
        (PTB raises NetworkError). The call has no effect."""
        self._add_fault(Fault(method.lower(), count, "drop", chat_id=chat_id))

    def delay_next(
        self, method: str, seconds: float, count: int = 1, *, chat_id: int | None = None
    ) -> None:
        """Delays the next ``count`` calls of ``method`` by ``seconds`` before handling them.

        Unlike the failures, a delayed call does take effect: this reproduces "client timed out
        but Telegram delivered the message", the case that causes duplicate messages on retry.
        """
        self._add_fault(Fault(method.lower(), count, "delay", delay=seconds, chat_id=chat_id))

    def drop_connection_after_next(
        self, method: str, count: int = 1, *, chat_id: int | None = None
    ) -> None:
        """Handles the next ``count`` calls of ``method`` (they take effect) and then closes
        the connection without the response: "the connection was reset after Telegram
        accepted the message" (PTB raises NetworkError), the case a retry duplicates."""
        self._add_fault(Fault(method.lower(), count, "accept_drop", chat_id=chat_id))
