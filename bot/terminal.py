"""Terminal chat: the same conversation core and engine, for a newcomer without a bot token.

Buttons are shown numbered (laikhe.choices, as on Zalo); typing the number or the title
presses the button.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable

from bot.conversation import Conversation, Reply
from laikhe.choices import Button, numbered_lines, pick

PROMPT = "Anh/Chị: "
QUIT_WORDS = {"/quit", "/exit", "/thoat"}


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    lines: list[str] = []
    buttons: list[Button] = []
    for reply in replies:
        lines.append(f"Trợ lý: {reply.text}")
        lines.extend(numbered_lines(reply.buttons, first=len(buttons) + 1))
        buttons.extend(reply.buttons)
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
        pressed = pick(line, buttons)
        if pressed is not None:
            write(f"  ➜ {pressed.title}")
            replies = await conversation.handle_payload(sender_id, pressed.payload)
        else:
            replies = await conversation.handle_text(sender_id, line)
        text, buttons = render(replies)
        write(text)
        await conversation.finish_turn(sender_id)
    write("Tạm biệt Anh/Chị!")
    sys.stdout.flush()
