"""A restart of the engine does not lose a half-filled form (SQL tracker store)."""

from __future__ import annotations

import subprocess

import pytest

from scripts.stack import Stack
from testkit.telegram import FakeTelegramServer
from tests.e2e.test_walking_skeleton import count, wait_reply

pytestmark = pytest.mark.e2e


def test_half_filled_form_survives_an_engine_restart(
    telegram: FakeTelegramServer, bot: subprocess.Popen[bytes], stack: Stack
) -> None:
    chat = 7301
    telegram.send_text(chat, "tôi muốn gửi góp ý")
    wait_reply(telegram, chat, 0, "Bảo vệ dữ liệu cá nhân")
    seen = count(telegram, chat)
    telegram.press_button_with_text(chat, "Đồng ý")
    wait_reply(telegram, chat, seen, "• Loại: Góp ý")  # the kind named, to confirm
    seen = count(telegram, chat)
    telegram.press_button_with_text(chat, "Đúng")
    wait_reply(telegram, chat, seen, "lĩnh vực")
    seen = count(telegram, chat)
    telegram.press_button_with_text(chat, "Tuyên truyền Nghị quyết 57")
    wait_reply(telegram, chat, seen, "nội dung")

    stack.restart_engine()

    seen = count(telegram, chat)
    telegram.send_text(chat, "Đề nghị xã in thêm tờ rơi về Nghị quyết 57 cho các thôn")
    # The form resumes where it was: the next question is the village, not the category.
    reply = wait_reply(telegram, chat, seen, "thôn nào")
    assert "lĩnh vực" not in (reply.text or "")
