"""The terminal chat a newcomer gets without a bot token: same core, same engine, real ticket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import Conversation
from bot.engine_client import EngineClient
from bot.terminal import render, run_terminal_chat
from db.models import Ticket
from scripts.stack import Stack
from services.tickets import TICKET_CODE_PATTERN

pytestmark = pytest.mark.e2e


def test_render_numbers_buttons() -> None:
    from bot.conversation import Button, Reply

    text, buttons = render([Reply("Chọn", (Button("Gửi", "/affirm"), Button("Hủy", "/cancel")))])
    assert text == "Trợ lý: Chọn\n  [1] Gửi\n  [2] Hủy"
    assert [b.payload for b in buttons] == ["/affirm", "/cancel"]


async def test_terminal_chat_submits_a_ticket(
    stack: Stack, db: async_sessionmaker[AsyncSession]
) -> None:
    output: list[str] = []

    def scripted() -> Iterator[str]:
        yield "tôi muốn gửi góp ý"
        yield _number_of("Đồng ý")  # the consent notice comes first
        yield _number_of("Đúng")  # the kind read from the message: «Góp ý»
        # Category buttons follow the greeting menu's 5 buttons in numbering: find it.
        yield _number_of("Dịch vụ công trực tuyến")
        yield "Cổng dịch vụ công báo lỗi khi tôi nộp hồ sơ khai sinh cho con"
        yield _number_of("Không theo thôn / bỏ qua")
        yield _number_of("Gửi")
        yield "/quit"

    def _number_of(title: str) -> str:
        # The last rendered block lists the buttons currently on screen, numbered from 1.
        block = output[-1]
        for line in block.splitlines():
            if line.strip().endswith(f"] {title}"):
                return line.strip()[1 : line.strip().index("]")]
        raise AssertionError(f"no button {title!r} in:\n{block}")

    lines = scripted()
    engine = EngineClient(stack.engine_url, timeout_seconds=30, secret=stack.internal_secret)
    await run_terminal_chat(
        Conversation(engine, channel="terminal"),
        read_line=lambda _prompt: next(lines),
        write=output.append,
    )
    await engine.aclose()
    transcript = "\n".join(output)
    match = TICKET_CODE_PATTERN.search(transcript)
    assert match is not None, transcript
    async with db() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.code == match.group(0)))
    assert ticket is not None and ticket.channel == "terminal"
    assert ticket.content.startswith("Cổng dịch vụ công báo lỗi")
    assert output[-1] == "Tạm biệt Anh/Chị!"
