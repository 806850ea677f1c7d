"""Conversation replies go through the one sending path (bot.sender): when Telegram answers
429 and 5xx for a while on one private chat, every reply still arrives, once, in order."""

from __future__ import annotations

import subprocess

import pytest

from bot.telegram_app import SOMETHING_WENT_WRONG
from testkit.telegram import FakeTelegramServer

pytestmark = pytest.mark.e2e
TIMEOUT = 60.0


def test_a_two_message_answer_survives_flood_control_and_server_errors(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes]
) -> None:
    chat = 7901
    # A few seconds of faults on this chat only: flood control, then the API failing.
    telegram.fail_next("sendMessage", count=1, status=429, retry_after=1, chat_id=chat)
    telegram.fail_next("sendMessage", count=2, status=500, chat_id=chat)
    telegram.fail_next("sendMessage", count=1, status=502, chat_id=chat)
    telegram.fail_next("sendMessage", count=1, status=503, chat_id=chat)

    telegram.send_text(chat, "lam sao dang ky tai khoan vneid muc 2")

    # The FAQ answer is two messages: the answer, then the "did it help?" buttons.
    sent = telegram.wait_for_messages(
        chat, 2, timeout=TIMEOUT, predicate=lambda s: any("giúp ích" in (m.text or "") for m in s)
    )
    answer, votes = sent
    assert "VNeID" in (answer.text or "")
    assert "giúp ích" in (votes.text or "") and votes.button_texts == ["Hữu ích", "Chưa rõ"]
    to_chat = [r for r in telegram.requests("sendMessage") if r.params.get("chat_id") == chat]
    assert [r.status for r in to_chat] == [429, 500, 500, 502, 503, 200, 200]
    assert to_chat[1].time - to_chat[0].time >= 0.9  # Telegram's retry_after was respected
    # Nothing more arrives later (no duplicate, no apology).
    telegram.send_text(chat, "cảm ơn")
    telegram.wait_for_messages(chat, 3, timeout=TIMEOUT)
    texts = [m.text or "" for m in telegram.messages(chat)]
    assert texts[:2] == [answer.text, votes.text]
    assert SOMETHING_WENT_WRONG not in texts
