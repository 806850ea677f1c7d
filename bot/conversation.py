"""The conversation core shared by Telegram and the terminal chat.

It guards the engine from input it should not see (empty, too long), turns engine
answers into plain replies with buttons, and always returns something polite to say.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.engine_client import EngineClient, EngineUnavailable
from laikhe import chunks
from laikhe.choices import Button as Button  # re-exported: the replies carry it
from laikhe.logsafe import pseudonym
from laikhe.payloads import payload
from laikhe.validators import clean_text, is_telegram_file_id

logger = logging.getLogger(__name__)

# Erases the engine's stored conversation of one sender (services/privacy.erase_conversation).
ConversationEraser = Callable[[str], Awaitable[object]]

MAX_MESSAGE_CHARS = 2000

EMPTY_MESSAGE = (
    "Anh/Chị chưa nhập nội dung. Anh/Chị gõ câu hỏi, hoặc gõ «hướng dẫn» để xem các mục."
)
TOO_LONG = (
    f"Tin nhắn dài quá {MAX_MESSAGE_CHARS} ký tự. Anh/Chị rút gọn giúp, "
    "hoặc chia thành vài tin nhắn ngắn."
)
# The engine may still finish the turn after we gave up waiting (a «Gửi» may have made
# the ticket): say so, and how to check, rather than "not recorded".
ENGINE_DOWN = (
    "Xin lỗi Anh/Chị, trợ lý đang bận hoặc tạm gián đoạn. Nội dung vừa gửi có thể đã được "
    "ghi nhận: Anh/Chị gõ «ý kiến của tôi» để kiểm tra, hoặc gửi lại sau ít phút."
)
NOT_UNDERSTOOD = "Xin lỗi, tôi chưa hiểu ý Anh/Chị. Anh/Chị gõ «hướng dẫn» để xem các mục."
ONLY_TEXT = (
    "Hiện tôi chỉ đọc được tin nhắn chữ. Anh/Chị vui lòng gõ nội dung bằng chữ, "
    "hoặc gõ «hướng dẫn» để xem các mục."
)


# The engine reads a message that starts with "/" (after stripping whitespace) as an
# intent payload with entities. Typed text never may: every leading run of slashes, their
# look-alikes (fullwidth, division, fraction slash, ...) and spaces goes, however mixed.
_PAYLOAD_PREFIX = re.compile(r"^[\s/\uff0f\u2215\u2044\u29f8\u2571\u3033\u30ce\u2cc6]+")


def typed_text(text: str | None) -> str:
    """What a resident typed, as the engine may see it: clean and never a payload."""
    return _PAYLOAD_PREFIX.sub("", clean_text(text or "")).strip()


def refusal(text: str | None) -> str | None:
    """Why a typed text does not go to the engine (empty, too long), or None. Nothing of
    the conversation changes then: a front end keeps the choices on screen."""
    cleaned = typed_text(text)
    # Zero-width and other format characters alone (an emoji keyboard's joiners) show
    # nothing: as empty as spaces.
    if not any(char.isprintable() and not char.isspace() for char in cleaned):
        return EMPTY_MESSAGE
    if len(cleaned) > MAX_MESSAGE_CHARS:
        return TOO_LONG
    return None


def photo_payload(file_id: str) -> str | None:
    """The engine payload that hands a photo (by file id) to the current form step."""
    if not is_telegram_file_id(file_id):
        return None
    return payload("inform", photo=file_id)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)


# Telegram's limit for one text message.
MAX_TELEGRAM_TEXT = 4096


def split_text(text: str, limit: int = MAX_TELEGRAM_TEXT) -> list[str]:
    """Text in pieces Telegram accepts (laikhe.chunks; Zalo uses its own limit)."""
    return chunks.split_text(text, limit)


def replies_from_engine(messages: list[dict[str, Any]]) -> list[Reply]:
    """Engine messages -> replies. Buttons attach to the text they came with."""
    replies: list[Reply] = []
    for message in messages:
        text = str(message.get("text") or "").strip()
        buttons = tuple(
            Button(title=str(b.get("title") or b.get("payload")), payload=str(b["payload"]))
            for b in message.get("buttons") or []
            if isinstance(b, dict) and b.get("payload")
        )
        if not text and buttons:
            text = "Anh/Chị chọn một mục:"
        if text:
            replies.append(Reply(text=text, buttons=buttons))
    return replies


def asks_to_erase_conversation(messages: list[dict[str, Any]]) -> bool:
    """The signal of action_delete_my_data: a custom message {"erase_conversation": true}."""
    return any(
        isinstance(message.get("custom"), dict)
        and message["custom"].get("erase_conversation") is True
        for message in messages
    )


class Conversation:
    """One turn: `handle_text`/`handle_payload`, the front end delivers the replies, then
    `finish_turn` (which erases the stored conversation when the resident asked for it:
    only then has the engine stored the turn, and the resident has the confirmation)."""

    def __init__(
        self,
        engine: EngineClient,
        channel: str,
        erase_conversation: ConversationEraser | None = None,
    ) -> None:
        self._engine = engine
        self._channel = channel
        self._erase_conversation = erase_conversation
        self._to_erase: set[str] = set()

    async def handle_text(self, sender_id: str, text: str | None) -> list[Reply]:
        refused = refusal(text)
        if refused is not None:
            return [Reply(refused)]
        # Only our own buttons may send payloads (see typed_text).
        return await self._ask(sender_id, typed_text(text))

    async def handle_payload(self, sender_id: str, payload: str) -> list[Reply]:
        if not payload.startswith("/"):
            return await self.handle_text(sender_id, payload)
        return await self._ask(sender_id, payload)

    async def _ask(self, sender_id: str, message: str) -> list[Reply]:
        try:
            answer = await self._engine.send(
                sender_id=sender_id, message=message, channel=self._channel
            )
        except EngineUnavailable:
            return [Reply(ENGINE_DOWN)]
        if asks_to_erase_conversation(answer):
            self._to_erase.add(sender_id)
        return replies_from_engine(answer) or [Reply(NOT_UNDERSTOOD)]

    async def finish_turn(self, sender_id: str) -> bool:
        """Call after the replies were delivered; True when the turn asked to erase the
        conversation (whether or not that succeeded)."""
        if sender_id not in self._to_erase:
            return False
        self._to_erase.discard(sender_id)
        if self._erase_conversation is None:
            logger.error(
                "conversation of %s not erased: no tracker store configured", pseudonym(sender_id)
            )
            return True
        try:
            await self._erase_conversation(sender_id)
        except Exception:
            # The ticket data is already erased; the conversation rows stay until the
            # resident asks again. Logged for the operator, never shown as a trace.
            logger.exception("could not erase the conversation of %s", pseudonym(sender_id))
        return True
