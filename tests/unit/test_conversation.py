"""The conversation core: input guards and engine-answer conversion, with a real (down) engine."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.conversation import (
    EMPTY_MESSAGE,
    ENGINE_DOWN,
    TOO_LONG,
    Button,
    Conversation,
    Reply,
    replies_from_engine,
)
from bot.engine_client import EngineClient
from bot.telegram_app import keyboard_for, split_text
from scripts.stack import free_port


def test_engine_messages_become_replies_with_buttons() -> None:
    replies = replies_from_engine(
        [
            {
                "recipient_id": "1",
                "text": "Chọn lĩnh vực",
                "buttons": [{"title": "VNeID", "payload": "/x"}],
            },
            {"recipient_id": "1", "image": "ignored.png"},
            {"recipient_id": "1", "buttons": [{"title": "Gửi", "payload": "/affirm"}]},
        ]
    )
    assert replies == [
        Reply("Chọn lĩnh vực", (Button("VNeID", "/x"),)),
        Reply("Anh/Chị chọn một mục:", (Button("Gửi", "/affirm"),)),
    ]


@pytest.fixture
async def engine_down() -> EngineClient:
    # A real client against a port where nothing listens: the failure is real.
    return EngineClient(f"http://127.0.0.1:{free_port()}", timeout_seconds=2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", EMPTY_MESSAGE), ("   ", EMPTY_MESSAGE), ("/", EMPTY_MESSAGE), ("a" * 4000, TOO_LONG)],
)
async def test_input_guards_answer_without_calling_the_engine(
    engine_down: EngineClient, text: str, expected: str
) -> None:
    replies = await Conversation(engine_down, "test").handle_text("1", text)
    assert replies == [Reply(expected)]


@pytest.mark.parametrize("text", ["xin chào", "😀😀", "<b>*_"])
async def test_engine_down_gets_a_polite_vietnamese_reply(
    engine_down: EngineClient, text: str
) -> None:
    assert await Conversation(engine_down, "test").handle_text("1", text) == [Reply(ENGINE_DOWN)]
    await engine_down.aclose()


def test_keyboard_drops_buttons_telegram_would_refuse_and_pairs_short_titles() -> None:
    reply = Reply(
        "x",
        (
            Button("Gửi", "/affirm"),
            Button("Hủy", "/cancel"),
            Button("Quá dài", "/" + "x" * 80),
            Button("Một lựa chọn có tiêu đề dài", "/y"),
        ),
    )
    markup = keyboard_for(reply)
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["Gửi", "Hủy"], ["Một lựa chọn có tiêu đề dài"]]


def test_long_text_is_split_for_telegram() -> None:
    text = "\n".join(f"dòng {i} " + "x" * 50 for i in range(200))
    chunks = split_text(text)
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert "\n".join(chunks) == text


def test_erase_signal_is_read_from_the_custom_message_only() -> None:
    from bot.conversation import asks_to_erase_conversation

    assert asks_to_erase_conversation(
        [{"recipient_id": "1", "text": "Đã xóa"}, {"custom": {"erase_conversation": True}}]
    )
    assert not asks_to_erase_conversation([{"text": "erase_conversation"}])
    assert not asks_to_erase_conversation([{"custom": {"erase_conversation": "yes"}}])
    assert not asks_to_erase_conversation([{"custom": "erase_conversation"}])
    # The signal itself is not shown to the resident.
    assert replies_from_engine([{"custom": {"erase_conversation": True}}]) == []


async def test_finish_turn_without_a_signal_erases_nothing(engine_down: EngineClient) -> None:
    erased: list[str] = []

    async def eraser(sender_id: str) -> int:
        erased.append(sender_id)
        return 0

    conversation = Conversation(engine_down, "test", eraser)
    await conversation.handle_text("1", "xóa dữ liệu của tôi")  # engine down: no signal
    await conversation.finish_turn("1")
    assert erased == []


@pytest.fixture
async def recording_engine() -> AsyncIterator[tuple[EngineClient, list[str]]]:
    """A REST-channel stand-in that records the message text the bot sends."""
    received: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        received.append(body["message"])
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    client = EngineClient(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout_seconds=5)
    try:
        yield client, received
    finally:
        await client.aclose()
        await runner.cleanup()


def reads_as_payload(message: str) -> bool:
    """Rasa strips the text (UserMessage) and takes anything starting with "/" as a payload."""
    return message.strip().startswith("/")


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        (
            '/ /ticket_op{"op":"withdraw:LK-2026-000001:ok"}',
            'ticket_op{"op":"withdraw:LK-2026-000001:ok"}',
        ),
        (
            '//  /inform{"photo":"https://x.example/a.jpg"}',
            'inform{"photo":"https://x.example/a.jpg"}',
        ),
        ("\t/\u00a0/\u3000/affirm", "affirm"),
        ("\x00/\u202e/affirm", "affirm"),
        ("\ufeff/affirm", "affirm"),
        ("\uff0f\u2215\u2044/affirm", "affirm"),
        ("\n\n/\n/affirm", "affirm"),
        ("/start", "start"),
        ("xin chào", "xin chào"),
        ("đường 1/5 bị ngập", "đường 1/5 bị ngập"),
    ],
)
async def test_typed_text_never_reaches_the_engine_as_a_payload(
    recording_engine: tuple[EngineClient, list[str]], typed: str, sent: str
) -> None:
    engine, received = recording_engine
    await Conversation(engine, "test").handle_text("1", typed)
    assert received == [sent]
    assert not reads_as_payload(received[0])


async def test_control_and_bidi_characters_are_stripped_newlines_kept(
    recording_engine: tuple[EngineClient, list[str]],
) -> None:
    engine, received = recording_engine
    typed = "Đèn\x00 đường\u202e hỏng\r\nở thôn\u2066 Mẫu 1\x07\x1b[31m\tđã lâu\u200f"
    await Conversation(engine, "test").handle_text("1", typed)
    assert received == ["Đèn đường hỏng\nở thôn Mẫu 1[31m đã lâu"]


@pytest.mark.parametrize("text", ["\x00", "\u202e\u2066", "/\x00/", "\u200b\u200d", " \u2060 "])
async def test_only_invisible_characters_count_as_empty(
    engine_down: EngineClient, text: str
) -> None:
    assert await Conversation(engine_down, "test").handle_text("1", text) == [Reply(EMPTY_MESSAGE)]


def test_engine_down_says_a_submission_may_be_recorded_and_how_to_check() -> None:
    """A «Gửi» that timed out may still have made the ticket (issue #17 item 12): the reply
    must not say "not recorded", and the phrase it offers must list the chat's tickets."""
    from tests.unit.test_training_data import _training

    assert "chưa được ghi nhận" not in ENGINE_DOWN
    assert "có thể đã được ghi nhận" in ENGINE_DOWN
    hints = re.findall(r"«([^»]+)»", ENGINE_DOWN)
    assert hints == ["ý kiến của tôi"]
    # Trained as check_ticket_status, whose form lists this chat's own tickets first
    # (actions/status.py AskTicketCode).
    assert hints[0] in _training()["check_ticket_status"]
