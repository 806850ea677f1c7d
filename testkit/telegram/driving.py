"""The user side: what tests and the benchmark make residents and staff do. Each call queues
an update (and returns it) as Telegram would deliver it to the bot."""

from __future__ import annotations

import copy
import time

from testkit.telegram.core import ServerState
from testkit.telegram.models import JSONDict, inline_buttons
from testkit.telegram.state import (
    TINY_PNG,
    CallbackQuery,
    Event,
    StoredMessage,
    Version,
    detect_entities,
    png_size,
    utf16_len,
    without_reply,
)


class UserSide(ServerState):
    def _user_message(
        self,
        chat_id: int,
        content: JSONDict,
        *,
        user_id: int | None,
        chat_type: str | None,
        first_name: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        with self._lock:
            if chat_type == "private" or chat_id > 0:
                # Known before the chat exists so the private chat carries the user's name.
                self._ensure_user(chat_id, first_name=first_name)
            chat = self._ensure_chat(chat_id, chat_type)
            sender = self._sender(chat, user_id)
            user = self._ensure_user(sender, first_name=first_name)
            if chat.type == "private":
                chat.first_name = user["first_name"]
            message_id = chat.take_message_id()
            data: JSONDict = {
                "message_id": message_id,
                "from": copy.deepcopy(user),
                "chat": chat.to_json(),
                "date": int(time.time()),
                **content,
            }
            if reply_to_message_id is not None:
                target = chat.messages.get(reply_to_message_id)
                if target is None:
                    raise ValueError(f"chat {chat_id} has no message {reply_to_message_id}")
                data["reply_to_message"] = without_reply(target.data)
            stored = StoredMessage(chat.id, message_id, False, "user", data)
            stored.versions.append(Version("user", copy.deepcopy(data), None))
            chat.messages[message_id] = stored
            chat.events.append(Event("message", message_id))
            return self._enqueue({"message": copy.deepcopy(data)})

    def send_text(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        chat_type: str | None = None,
        first_name: str | None = None,
        reply_to_message_id: int | None = None,
        *,
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """Simulates a user writing ``text``; returns the queued update.

        ``chat_type`` defaults to the chat's existing type, else ``private`` for positive ids,
        ``supergroup`` for ``-100…`` ids and ``group`` for other negative ids. In private chats
        the sender is the chat; in groups ``user_id`` defaults to ``DEFAULT_GROUP_USER_ID``.
        Bot commands, URLs and e-mail addresses get entities as Telegram adds them, unless
        ``entities`` is given.
        """
        content: JSONDict = {"text": text}
        detected = detect_entities(text) if entities is None else entities
        if detected:
            content["entities"] = copy.deepcopy(detected)
        return self._user_message(
            chat_id,
            content,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            reply_to_message_id=reply_to_message_id,
        )

    def send_command(
        self,
        chat_id: int,
        command: str,
        user_id: int | None = None,
        chat_type: str | None = None,
        first_name: str | None = None,
    ) -> JSONDict:
        """Sends ``/command [args]`` with a bot_command entity (``/start`` or ``start``)."""
        if not command.startswith("/"):
            command = "/" + command
        name = command.partition(" ")[0]
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(name)}]
        return self.send_text(
            chat_id,
            command,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            entities=entities,
        )

    def send_edited_message(
        self, chat_id: int, message_id: int, text: str, user_id: int | None = None
    ) -> JSONDict:
        """Simulates the user editing their earlier text message (an ``edited_message``)."""
        with self._lock:
            chat = self._chats.get(chat_id)
            stored = chat.messages.get(message_id) if chat is not None else None
            if chat is None or stored is None or stored.from_bot:
                raise ValueError(f"chat {chat_id} has no user message {message_id}")
            if user_id is not None and stored.data["from"]["id"] != user_id:
                raise ValueError(f"message {message_id} was not sent by user {user_id}")
            new = copy.deepcopy(stored.data)
            new["text"] = text
            new.pop("entities", None)
            detected = detect_entities(text)
            if detected:
                new["entities"] = detected
            new["edit_date"] = int(time.time())
            stored.data = new
            stored.versions.append(Version("user-edit", copy.deepcopy(new), None))
            chat.events.append(Event("edit", message_id, len(stored.versions) - 1))
            return self._enqueue({"edited_message": copy.deepcopy(new)})

    def send_photo(
        self,
        chat_id: int,
        caption: str | None = None,
        user_id: int | None = None,
        chat_type: str | None = None,
        *,
        data: bytes = TINY_PNG,
    ) -> JSONDict:
        """Simulates a user sending a photo (``data`` must be a PNG); returns the update.

        The photo is registered as a file, so the bot can send it on by its file_id.
        """
        if png_size(data) is None:
            raise ValueError("send_photo needs PNG bytes (see make_png)")
        with self._lock:
            stored = self._new_file("photo", data, mime_type="image/jpeg")
            content: JSONDict = {"photo": self._photo_sizes(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(chat_id, content, user_id=user_id, chat_type=chat_type)

    def send_sticker(self, chat_id: int, emoji: str = "👍", user_id: int | None = None) -> JSONDict:
        """Simulates a user sending a (static) sticker; returns the update."""
        with self._lock:
            data = b"RIFF\x00\x00\x00\x00WEBPfake sticker"
            stored = self._new_file("sticker", data, mime_type="image/webp")
            sticker: JSONDict = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
                "file_size": len(data),
            }
        return self._user_message(chat_id, {"sticker": sticker}, user_id=user_id, chat_type=None)

    def send_update(self, update: JSONDict) -> JSONDict:
        """Queues an arbitrary update (``update_id`` is assigned); for cases not covered above."""
        payload = {key: value for key, value in update.items() if key != "update_id"}
        with self._lock:
            return self._enqueue(copy.deepcopy(payload))

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        user_id: int | None = None,
        *,
        force: bool = False,
    ) -> str:
        """Simulates pressing an inline button; returns the callback query id.

        The bot message must exist (and not be deleted) and carry a button with
        ``callback_data``; ``force=True`` skips both checks (e.g. stale or forged buttons).
        """
        with self._lock:
            chat = self._ensure_chat(chat_id)
            sender = self._sender(chat, user_id)
            user = self._ensure_user(sender, first_name=None)
            stored = chat.messages.get(message_id)
            if not force:
                if stored is None or not stored.from_bot or stored.deleted:
                    raise AssertionError(
                        f"no bot message #{message_id} to press a button on\n"
                        + self._transcript_locked(chat_id)
                    )
                buttons = inline_buttons(stored.data.get("reply_markup"))
                if callback_data not in [d for row in buttons for _, d in row]:
                    raise AssertionError(
                        f"message #{message_id} has no button with callback_data "
                        f"{callback_data!r}; buttons: {buttons}\n"
                        + self._transcript_locked(chat_id)
                    )
            query_id = str(4_000_000_000_000_000 + self._next_query_number)
            self._next_query_number += 1
            if stored is not None:
                message = copy.deepcopy(stored.data)
            else:
                # What Telegram sends for a message the bot can no longer access.
                message = {"chat": chat.to_json(), "message_id": message_id, "date": 0}
            query: JSONDict = {
                "id": query_id,
                "from": copy.deepcopy(user),
                "message": message,
                "chat_instance": str(abs(chat_id) * 7919 + 13),
                "data": callback_data,
            }
            self._callback_queries[query_id] = CallbackQuery(
                query_id, chat_id, message_id, callback_data, sender
            )
            chat.events.append(
                Event(
                    "note",
                    note=f"user {sender} pressed {callback_data!r} on #{message_id} "
                    f"(callback {query_id})",
                )
            )
            self._enqueue({"callback_query": query})
            return query_id

    def press_button_with_text(
        self,
        chat_id: int,
        button_text: str,
        user_id: int | None = None,
        *,
        message_id: int | None = None,
    ) -> str:
        """Presses the callback button labelled ``button_text`` on the newest bot message that
        has one (or on ``message_id``); returns the callback query id."""
        with self._lock:
            chat = self._ensure_chat(chat_id)
            candidates = sorted(chat.messages.values(), key=lambda m: -m.message_id)
            for stored in candidates:
                if not stored.from_bot or stored.deleted:
                    continue
                if message_id is not None and stored.message_id != message_id:
                    continue
                for row in inline_buttons(stored.data.get("reply_markup")):
                    for text, data in row:
                        if text == button_text and data is not None:
                            return self.press_button(chat_id, stored.message_id, data, user_id)
            raise AssertionError(
                f"no bot message in chat {chat_id} has a callback button {button_text!r}\n"
                + self._transcript_locked(chat_id)
            )

    def register_chat(
        self, chat_id: int, chat_type: str | None = None, *, title: str | None = None
    ) -> None:
        """Creates (or renames) a chat before anyone writes in it."""
        with self._lock:
            self._ensure_chat(chat_id, chat_type, title=title)
            self._changed()

    def set_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Makes sends to the chat fail with 403 (blocked by the user / kicked from a group)."""
        with self._lock:
            self._ensure_chat(chat_id).blocked = blocked
            self._changed()
