"""Terminal chat: the same conversation core and engine, for a newcomer without a bot token.

Buttons are shown numbered; typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable

from bot.conversation import Button, Conversation, Reply

PROMPT = "Anh/Chị: "
QUIT_WORDS = {"/quit", "/exit", "/thoat"}


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    lines: list[str] = []
    buttons: list[Button] = []
    for reply in replies:
        lines.append(f"Trợ lý: {reply.text}")
        for button in reply.buttons:
            buttons.append(button)
            lines.append(f"  [{len(buttons)}] {button.title}")
    return "\n".join(lines), buttons


async def run_terminal_chat(
    conversation: Conversation,
    read_line: Callable[[str], str] = input,
    write: Callable[[str], object] = print,
) -> None:
    sender_id = f"terminal-{uuid.uuid4().hex[:12]}"
    write("Gõ tin nhắn rồi Enter; gõ số để bấm nút; /quit để thoát.")
    text, buttons = render(await conversation.handle_payload(sender_id, "/greet"))
    write(text)
    await conversation.finish_turn(sender_id)
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await loop.run_in_executor(None, read_line, PROMPT)
        except (EOFError, KeyboardInterrupt):
            break
        line = line.strip()
        if line.lower() in QUIT_WORDS:
            break
        if line.isdigit() and 1 <= int(line) <= len(buttons):
            pressed = buttons[int(line) - 1]
            write(f"  ➜ {pressed.title}")
            replies = await conversation.handle_payload(sender_id, pressed.payload)
        else:
            replies = await conversation.handle_text(sender_id, line)
        text, buttons = render(replies)
        write(text)
        await conversation.finish_turn(sender_id)
    write("Tạm biệt Anh/Chị!")
    sys.stdout.flush()
