"""Zalo front end: updates (long polling or webhook) into turns of the conversation core,
replies back as texts of at most 2,000 characters with the buttons numbered.

Zalo has no buttons: a reply's buttons are numbered on across the turn (laikhe.choices,
as in the terminal chat) and the resident's next message, when it is a number or a
button's title, presses that button; any other text goes to the engine as typed, whose
button steps also read the usual words («có», «không», «bỏ qua»).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Final

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.conversation import ONLY_TEXT, Conversation, Reply, refusal
from bot.sender import DeliveryFailed
from laikhe.choices import Button, pick, with_choices
from laikhe.chunks import fewest_messages
from laikhe.keyed_locks import KeyedLocks
from laikhe.logsafe import pseudonym
from laikhe.request_body import body_within
from laikhe.senders import zalo_sender_id
from services.outbox import MAX_ZALO_TEXT_CHARS
from services.photo_store import PhotoRejected, PhotoStore, stored_photo_payload
from zalo.choice_memory import ChoiceMemory
from zalo.sender import ZaloSender
from zalo.staff_commands import is_staff_command
from zalo.staff_desk import StaffDesk

logger = logging.getLogger(__name__)

TEXT: Final = "message.text.received"
IMAGE: Final = "message.image.received"
SECRET_HEADER: Final = "X-Bot-Api-Secret-Token"
# An update carries at most 2,000 characters of text (a photo: a URL): far below this.
MAX_WEBHOOK_BODY: Final = 64 * 1024

PHOTO_NOT_YET: Final = (
    "Hiện trợ lý trên Zalo chưa nhận được ảnh. Anh/Chị vui lòng mô tả bằng chữ; nếu cần "
    "gửi ảnh, Anh/Chị gửi qua Telegram hoặc mang đến bộ phận một cửa của xã."
)
SOMETHING_WENT_WRONG: Final = (
    "Xin lỗi Anh/Chị, đã có lỗi khi xử lý tin nhắn. Anh/Chị vui lòng thử lại sau ít phút."
)
# Redelivered updates (a webhook retried, a poll repeated) are recognised by message id.
SEEN_MESSAGES: Final = 5_000
# Turns in progress at once (python-telegram-bot's default bound for Telegram's updates).
MAX_CONCURRENT_TURNS: Final = 256
# Zalo's ids are short strings; a longer one is a forged update.
MAX_ID_CHARS: Final = 64


@dataclass(frozen=True)
class PhotoDownloads:
    """Where residents' photos are fetched with and kept."""

    store: PhotoStore
    client: httpx.AsyncClient


@dataclass(frozen=True)
class Incoming:
    event: str
    chat_id: str
    private: bool
    message_id: str | None
    text: str | None
    user_id: str | None = None  # who wrote (in a group, not the chat)
    photo_url: str | None = None  # message.image.received


def _id(value: object) -> str | None:
    """An id as Zalo sends them (a string; a number is read too); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    return text if 0 < len(text) <= MAX_ID_CHARS else None


def read_update(update: dict[str, Any]) -> Incoming | None:
    """The parts of an update we use; None for one we cannot read (logged, not answered:
    without a chat id of the right shape there is no one to answer). A field of the wrong
    type is read as missing."""
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat")
    if not isinstance(chat, dict):
        return None
    chat_id = _id(chat.get("id"))
    if chat_id is None:
        return None
    event = update.get("event_name")
    text = message.get("text")
    photo = message.get("photo")
    sender = message.get("from")
    return Incoming(
        event=event if isinstance(event, str) else "",
        chat_id=chat_id,
        private=str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE",
        message_id=_id(message.get("message_id")),
        text=text if isinstance(text, str) else None,
        user_id=_id(sender.get("id")) if isinstance(sender, dict) else None,
        photo_url=photo if isinstance(photo, str) and photo else None,
    )


def render(replies: list[Reply]) -> tuple[list[str], tuple[Button, ...]]:
    """The messages to send, as few as fit in Zalo's 2,000 characters (each reply's
    choices right after its text, so the last reply's end the last message), and the
    turn's buttons in the order they are numbered."""
    texts: list[str] = []
    buttons: list[Button] = []
    for reply in replies:
        texts.append(with_choices(reply.text, reply.buttons, first=len(buttons) + 1))
        buttons.extend(reply.buttons)
    return fewest_messages(texts, MAX_ZALO_TEXT_CHARS), tuple(buttons)


class ZaloFrontEnd:
    def __init__(
        self,
        conversation: Conversation,
        sender: ZaloSender,
        choices: ChoiceMemory,
        desk: StaffDesk | None = None,
        photos: PhotoDownloads | None = None,
    ) -> None:
        self._conversation = conversation
        self._photos = photos
        self._desk = desk
        self._sender = sender
        self._choices = choices
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._chats: KeyedLocks[str] = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = asyncio.Semaphore(MAX_CONCURRENT_TURNS)

    def accept(self, update: dict[str, Any]) -> bool:
        """Take an update for handling (in the background, in order within its chat);
        False when it is ignored (unreadable, a group, or already seen)."""
        incoming = read_update(update)
        if incoming is None:
            logger.info("ignored an update without a chat")
            return False
        if not incoming.private and not self._for_desk(incoming):
            return False  # in an office group only staff commands are read
        if incoming.message_id is not None:
            key = f"{incoming.chat_id}/{incoming.message_id}"
            if key in self._seen:
                logger.info("ignored a redelivered update")
                return False
            self._seen[key] = None
            while len(self._seen) > SEEN_MESSAGES:
                self._seen.popitem(last=False)
        # The lock is taken in arrival order: tasks start in creation order and ask for it
        # before their first await.
        task = asyncio.create_task(self._in_turn(incoming.chat_id, self._handle(incoming)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def _for_desk(self, incoming: Incoming) -> bool:
        """A staff command: any «/…» in a group; in a private chat a known staff command
        (a resident who types one is refused by the desk, not sent to the engine)."""
        text = incoming.text
        if self._desk is None or incoming.event != TEXT or text is None:
            return False
        return text.lstrip().startswith("/") if not incoming.private else is_staff_command(text)

    async def _in_turn(self, chat_id: str, work: Awaitable[None]) -> None:
        async with self._chats.turn(chat_id), self._running:
            await work

    async def _handle(self, incoming: Incoming) -> None:
        chat_id = incoming.chat_id
        try:
            await self._turn(incoming)
        except Exception:
            logger.exception("a Zalo update failed for %s", pseudonym(chat_id))
            await self._say(chat_id, [SOMETHING_WENT_WRONG])

    async def _turn(self, incoming: Incoming) -> None:
        chat_id = incoming.chat_id
        sender_id = zalo_sender_id(chat_id)
        conversation = self._conversation
        if self._desk is not None and self._for_desk(incoming) and incoming.text is not None:
            answers = await self._desk.handle(
                incoming.user_id or "", incoming.text, private=incoming.private
            )
            await self._say(chat_id, answers)
            return
        if incoming.event == TEXT and incoming.text is not None:
            texts = await self._text(sender_id, chat_id, incoming.text)
        elif incoming.event == IMAGE and self._photos is not None:
            # An image update without a usable URL is a photo that could not be fetched.
            texts = await self._photo(sender_id, chat_id, incoming.photo_url or "")
        else:
            # A photo or a sticker is no answer: the choices on screen stay.
            texts = [PHOTO_NOT_YET if incoming.event == IMAGE else ONLY_TEXT]
        await self._say(chat_id, texts)
        await conversation.finish_turn(sender_id)

    async def _text(self, sender_id: str, chat_id: str, text: str) -> list[str]:
        pressed = pick(text, self._choices.on_screen(chat_id))
        if pressed is not None:
            replies = await self._conversation.handle_payload(sender_id, pressed.payload)
        elif (refused := refusal(text)) is not None:
            return [refused]  # the engine never saw it: the choices on screen stay
        else:
            replies = await self._conversation.handle_text(sender_id, text)
        texts, buttons = render(replies)
        self._choices.show(chat_id, buttons)
        return texts

    async def _photo(self, sender_id: str, chat_id: str, url: str) -> list[str]:
        """A photo is downloaded at once (Zalo's URLs expire), stored re-encoded, and
        handed to the form step as Telegram's are (by reference)."""
        assert self._photos is not None
        try:
            stored = await self._photos.store.save_from_url(self._photos.client, url)
        except PhotoRejected as rejected:
            return [rejected.reply]
        replies = await self._conversation.handle_payload(sender_id, stored_photo_payload(stored))
        texts, buttons = render(replies)
        if buttons:
            # A reply without choices (a photo taken) leaves those on screen pressable.
            self._choices.show(chat_id, buttons)
        return texts

    async def _say(self, chat_id: str, texts: list[str]) -> None:
        try:
            await self._sender.deliver(chat_id, texts)
        except DeliveryFailed as error:
            logger.warning("a reply to %s was not delivered: %s", pseudonym(chat_id), error)

    async def drain(self, timeout: float = 20.0) -> None:
        """Let the turns in progress finish (at shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def webhook_app(
    front: ZaloFrontEnd,
    secret: str,
    path: str,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    """The webhook endpoint: refuses a call without the secret Zalo sends back in
    X-Bot-Api-Secret-Token (compared in constant time), answers at once and handles the
    update in the background."""
    if len(secret) < 8:
        raise ValueError("the webhook secret is required")
    expected = secret.encode()

    async def receive(request: Request) -> JSONResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("refused a webhook call without the right secret")
            return JSONResponse({"ok": False}, status_code=403)
        raw = await body_within(request, MAX_WEBHOOK_BODY)
        if raw is None:
            logger.warning("refused a webhook call over %d bytes", MAX_WEBHOOK_BODY)
            return JSONResponse({"ok": False}, status_code=413)
        try:
            body = json.loads(raw)
        except ValueError:
            return JSONResponse({"ok": False}, status_code=400)
        # The update itself, or wrapped as getUpdates answers it.
        update = body.get("result") if isinstance(body, dict) and "result" in body else body
        if isinstance(update, dict):
            front.accept(update)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(path, receive, methods=["POST"])], lifespan=lifespan)
