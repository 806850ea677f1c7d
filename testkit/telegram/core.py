"""The fake server's state, shared by its parts: the Bot API methods (api.py), the user side
(driving.py), fault injection (faults.py) and what tests read (inspection.py)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import mimetypes
import threading
import time
from collections.abc import Callable
from typing import Final

from testkit.telegram.models import (
    CallbackAnswer,
    JSONDict,
    MessageVersion,
    RequestRecord,
    SentMessage,
    WebhookDelivery,
    inline_buttons,
)
from testkit.telegram.state import (
    TOKEN_RE,
    CallbackQuery,
    Chat,
    Fault,
    StoredFile,
    StoredMessage,
    Version,
    Webhook,
    png_size,
)


class ServerState:
    """Everything the server knows, behind one re-entrant lock: handlers run on the server
    loop while tests read and write from their own thread."""

    #: Sender of group messages when the test does not choose one.
    DEFAULT_GROUP_USER_ID: Final = 5001

    def __init__(
        self,
        token: str,
        *,
        bot_username: str,
        bot_first_name: str,
        webhook_retry_max_delay: float,
    ) -> None:
        if not TOKEN_RE.fullmatch(token):
            raise ValueError(f"not a Bot API token: {token!r} (expected '<digits>:<secret>')")
        self._token = token
        self._bot_user: JSONDict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._webhook_retry_max_delay = webhook_retry_max_delay

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._async_waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

        # Counters that survive clear(): update ids must keep growing, or a running poller
        # whose offset is already past them would never see new updates.
        self._next_update_id = 1
        self._next_file_number = 1
        self._next_query_number = 1

        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._closing_event: asyncio.Event | None = None
        self._updates_event: asyncio.Event | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._poll_sequence = 0
        self._message_listeners: list[Callable[[SentMessage, float], None]] = []
        self._reset_state()

    def _reset_state(self) -> None:
        self._chats: dict[int, Chat] = {}
        self._users: dict[int, JSONDict] = {}
        self._files: dict[str, StoredFile] = {}
        self._pending_updates: list[JSONDict] = []
        self._allowed_updates: set[str] | None = None
        self._callback_queries: dict[str, CallbackQuery] = {}
        self._callback_answers: list[CallbackAnswer] = []
        self._requests: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._webhook = Webhook()
        self._deliveries: list[WebhookDelivery] = []

    # --- notification plumbing -----------------------------------------------------------

    def _wake_local(self) -> None:
        """Wakes long polls and the webhook worker; must run on the server loop."""
        event = self._updates_event
        if event is not None:
            event.set()
            self._updates_event = asyncio.Event()

    def _wake_server(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_local)

    def _changed(self) -> None:
        """Signals state waiters; the lock must be held."""
        self._cond.notify_all()
        for loop, event in list(self._async_waiters):
            with contextlib.suppress(RuntimeError):  # the waiter's loop is already closed
                loop.call_soon_threadsafe(event.set)

    async def _sleep(self, seconds: float) -> None:
        """Sleeps, but returns early when the server shuts down."""
        if self._closing_event is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._closing_event.wait(), seconds)

    # --- chats, users, updates, files ----------------------------------------------------

    def _ensure_chat(
        self, chat_id: int, chat_type: str | None = None, *, title: str | None = None
    ) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type is None:
                if chat_id > 0:
                    chat_type = "private"
                else:
                    chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
            if chat_type not in ("private", "group", "supergroup"):
                raise ValueError(f"unknown chat type {chat_type!r}")
            if (chat_type == "private") != (chat_id > 0):
                raise ValueError(
                    f"chat id {chat_id} does not fit a {chat_type} chat: private chats have "
                    "positive ids, groups and supergroups negative ones"
                )
            chat = Chat(id=chat_id, type=chat_type, title=title)
            if chat_type == "private":
                user = self._users.get(chat_id)
                chat.first_name = user["first_name"] if user else "User"
            self._chats[chat_id] = chat
        elif chat_type is not None and chat.type != chat_type:
            raise ValueError(f"chat {chat_id} is a {chat.type} chat, not a {chat_type} chat")
        if title is not None:
            chat.title = title
        return chat

    def _ensure_user(self, user_id: int, *, first_name: str | None) -> JSONDict:
        user = self._users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name or "Test User"}
            self._users[user_id] = user
        elif first_name is not None:
            user["first_name"] = first_name
        return user

    def _sender(self, chat: Chat, user_id: int | None) -> int:
        if chat.type == "private":
            if user_id is not None and user_id != chat.id:
                raise ValueError(
                    f"in the private chat {chat.id} only user {chat.id} can send messages"
                )
            return chat.id
        sender = self.DEFAULT_GROUP_USER_ID if user_id is None else user_id
        if sender == chat.id:
            raise ValueError("a group message needs a sender different from the chat")
        return sender

    def _enqueue(self, update: JSONDict) -> JSONDict:
        """Queues an update (the lock must be held) and wakes pollers; returns a copy."""
        update = {"update_id": self._next_update_id, **update}
        self._next_update_id += 1
        self._pending_updates.append(update)
        self._changed()
        self._wake_server()
        return copy.deepcopy(update)

    def _new_file(
        self, kind: str, data: bytes, *, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        number = self._next_file_number
        self._next_file_number += 1
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(
            file_id=f"fake-{kind}-{number}",
            file_unique_id=f"fake-unique-{number}",
            kind=kind,
            data=bytes(data),
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        return stored

    @staticmethod
    def _photo_sizes(stored: StoredFile) -> list[JSONDict]:
        width, height = png_size(stored.data) or (0, 0)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(stored.data),
            }
        ]

    # --- snapshots and transcripts (the lock must be held) -------------------------------

    @staticmethod
    def _version(version: Version) -> MessageVersion:
        data = version.data
        return MessageVersion(
            method=version.method,
            text=data.get("text"),
            caption=data.get("caption"),
            reply_markup=copy.deepcopy(data.get("reply_markup")),
            buttons=inline_buttons(data.get("reply_markup")),
            edit_date=data.get("edit_date"),
        )

    def _snapshot(self, stored: StoredMessage) -> SentMessage:
        data = stored.data
        photo = copy.deepcopy(data.get("photo"))
        document = copy.deepcopy(data.get("document"))
        file_id = photo[-1]["file_id"] if photo else (document or {}).get("file_id")
        return SentMessage(
            chat_id=stored.chat_id,
            message_id=stored.message_id,
            method=stored.method,
            date=int(data["date"]),
            text=data.get("text"),
            caption=data.get("caption"),
            reply_markup=copy.deepcopy(data.get("reply_markup")),
            sent_reply_markup=copy.deepcopy(stored.sent_markup),
            buttons=inline_buttons(data.get("reply_markup")),
            photo=photo,
            document=document,
            file_id=file_id,
            deleted=stored.deleted,
            versions=[self._version(v) for v in stored.versions],
            raw=copy.deepcopy(data),
        )

    def _messages_locked(self, chat_id: int, include_deleted: bool = True) -> list[SentMessage]:
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [
            self._snapshot(stored)
            for stored in sorted(chat.messages.values(), key=lambda m: m.message_id)
            if stored.from_bot and (include_deleted or not stored.deleted)
        ]

    @staticmethod
    def _describe(data: JSONDict) -> str:
        parts: list[str] = []
        if "photo" in data:
            size = data["photo"][-1]
            parts.append(f"<photo {size['width']}x{size['height']} {size['file_id']}>")
        if "document" in data:
            parts.append(f"<document {data['document'].get('file_name', '')}>")
        if "sticker" in data:
            parts.append(f"<sticker {data['sticker'].get('emoji', '')}>")
        if "text" in data:
            parts.append(str(data["text"]))
        if data.get("caption"):
            parts.append(str(data["caption"]))
        buttons = inline_buttons(data.get("reply_markup"))
        if buttons:
            rendered = " ".join(
                f"[{text} -> {cb}]" if cb is not None else f"[{text}]"
                for row in buttons
                for text, cb in row
            )
            parts.append(f"  buttons: {rendered}")
        return " ".join(parts).replace("\n", "\n        ")

    def _transcript_locked(self, chat_id: int) -> str:
        chat = self._chats.get(chat_id)
        if chat is None:
            return f"(nothing happened in chat {chat_id})"
        lines = [f"conversation in {chat.type} chat {chat_id}:"]
        for event in chat.events:
            if event.kind == "note":
                lines.append(f"    {event.note}")
                continue
            stored = chat.messages[event.message_id]
            version = stored.versions[event.version]
            who = "bot" if stored.from_bot else f"user {stored.data['from']['id']}"
            action = f" edited ({version.method})" if event.kind == "edit" else ""
            deleted = " [deleted]" if stored.deleted and event.kind == "message" else ""
            text = self._describe(version.data)
            lines.append(f"  #{event.message_id} {who}{action}{deleted}: {text}")
        if len(lines) == 1:
            lines.append("    (empty)")
        return "\n".join(lines)

    def _webhook_info_json(self) -> JSONDict:
        """What getWebhookInfo would return (the lock must be held)."""
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        if hook.url:
            info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        return info

    def _notify_listeners(self, stored: StoredMessage) -> None:
        if self._message_listeners:
            arrived = time.time()
            snapshot = self._snapshot(stored)
            for listener in list(self._message_listeners):
                listener(snapshot, arrived)
