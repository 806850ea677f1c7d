"""How the dispatcher reads Telegram errors, and the outbox's own input checks."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.outbox_dispatcher import classify
from laikhe.payloads import ticket_op
from services.notifications import satisfaction_keyboard
from services.outbox import keyboard_json


def _timed_out(cause: Exception) -> TimedOut:
    try:
        raise TimedOut() from cause
    except TimedOut as error:
        return error


def _network(cause: Exception) -> NetworkError:
    """What python-telegram-bot's HTTPXRequest raises for a transport error."""
    try:
        raise NetworkError(f"httpx.{type(cause).__name__}: {cause}") from cause
    except NetworkError as error:
        return error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), "failed"),
        (BadRequest("Bad Request: chat not found"), "failed"),
        (NetworkError("Internal Server Error (500)"), "retry"),
        (_timed_out(httpx.ConnectTimeout("connect")), "retry"),
        # The request may have reached Telegram: not resent, shown to staff instead.
        (_timed_out(httpx.ReadTimeout("read")), "unknown"),
    ],
)
def test_errors_are_classified(error: Exception, kind: str) -> None:
    assert classify(error).kind == kind  # type: ignore[arg-type]


def _status_with_unreadable_body() -> NetworkError:
    try:
        raise NetworkError("Bad Gateway (502). Parsing the server response failed") from (
            TelegramError("Invalid server response")
        )
    except NetworkError as error:
        return error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        # Surely not sent: the request never fully left, or Telegram answered "failed".
        (_network(httpx.ConnectError("refused")), "retry"),
        (_timed_out(httpx.PoolTimeout("pool")), "retry"),
        (_network(httpx.WriteError("reset while writing")), "retry"),
        (_timed_out(httpx.WriteTimeout("write")), "retry"),
        (NetworkError("Bad Gateway"), "retry"),
        (NetworkError("Service Unavailable (503)"), "retry"),
        (_status_with_unreadable_body(), "retry"),
        (RetryAfter(1), "retry"),
        # Maybe sent: the request was written and the answer was lost.
        (_network(httpx.RemoteProtocolError("Server disconnected without a response")), "unknown"),
        (_network(httpx.ReadError("Connection reset by peer")), "unknown"),
        (_network(RuntimeError("unexpected client failure")), "unknown"),
        (TelegramError("Invalid server response"), "unknown"),  # status 200, body unreadable
    ],
)
def test_surely_not_sent_is_retried_and_maybe_sent_is_unknown(error: Exception, kind: str) -> None:
    assert classify(error).kind == kind  # type: ignore[arg-type]


def test_flood_control_waits_as_told_and_pauses_the_bot() -> None:
    outcome = classify(RetryAfter(7))
    assert (outcome.kind, outcome.delay, outcome.flood) == ("retry", 7.0, True)
    assert classify(RetryAfter(timedelta(seconds=3))).delay == 3.0


def test_migrated_group_is_retried_at_its_new_id() -> None:
    outcome = classify(ChatMigrated(-100123))
    assert outcome.kind == "retry" and outcome.new_chat_id == -100123


def test_resident_buttons_fit_telegram_callback_data() -> None:
    code = "LK-2026-999999"
    assert ticket_op("rate", code, "5") == '/ticket_op{"op":"rate:LK-2026-999999:5"}'
    keyboard_json(satisfaction_keyboard(code, answered=True))  # raises if over 64 bytes
    with pytest.raises(ValueError, match="64 bytes"):
        keyboard_json([[("x", "st:" + "y" * 70)]])
