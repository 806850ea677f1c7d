"""The Bot API methods the bot calls, with the checks Telegram makes that a bot can trip over:
text length, ``callback_data`` size, "message is not modified", editing or deleting unknown
messages, answering a callback query twice, blocked users, invalid commands.

Any other method answers 404 (see server.py), and parameters the bot never sends (parse
modes, replies, inline messages) are refused, so a bot change that needs more fails loudly
here instead of passing against a fake that ignores it.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Final

from testkit.telegram.models import CallbackAnswer, JSONDict
from testkit.telegram.state import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ApiError,
    Chat,
    Event,
    Params,
    StoredFile,
    StoredMessage,
    Version,
    bad_request,
    png_size,
)
from testkit.telegram.updates import UpdateDelivery

#: Sent by clients but not emulated: refused rather than silently ignored.
NOT_IMPLEMENTED_PARAMS: Final = (
    "parse_mode",
    "entities",
    "caption_entities",
    "reply_parameters",
    "reply_to_message_id",
    "inline_message_id",
    "message_thread_id",
    "business_connection_id",
)

_INLINE_BUTTON_ACTIONS: Final = ("url", "callback_data")
_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID: Final = "query is too old and response timeout expired or query ID is invalid"


class BotApi(UpdateDelivery):
    def _handlers(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "getMe": self._api_get_me,
            "getUpdates": self._api_get_updates,
            "setWebhook": self._api_set_webhook,
            "deleteWebhook": self._api_delete_webhook,
            "sendMessage": self._api_send_message,
            "sendPhoto": self._api_send_photo,
            "sendDocument": self._api_send_document,
            "getFile": self._api_get_file,
            "editMessageText": self._api_edit_message_text,
            "editMessageReplyMarkup": self._api_edit_message_reply_markup,
            "deleteMessage": self._api_delete_message,
            "answerCallbackQuery": self._api_answer_callback_query,
            "setMyCommands": self._api_set_my_commands,
            "deleteMyCommands": self._api_delete_my_commands,
        }

    def _api_get_me(self, _: Params) -> JSONDict:
        return {
            **self._bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # --- validation ----------------------------------------------------------------------

    def _resolve_chat(self, params: Params) -> Chat:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            return self._ensure_chat(chat_id)
        raise bad_request("chat not found")

    @staticmethod
    def _check_can_write(chat: Chat) -> None:
        if not chat.blocked:
            return
        description = {
            "private": "Forbidden: bot was blocked by the user",
            "group": "Forbidden: bot was kicked from the group chat",
        }.get(chat.type, "Forbidden: bot was kicked from the supergroup chat")
        raise ApiError(HTTPStatus.FORBIDDEN, description)

    @staticmethod
    def _checked_text(params: Params) -> str:
        text = params.get_str("text")
        # Telegram trims whitespace before checking, so a whitespace-only text is "empty".
        if text is None or not text.strip():
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text

    @staticmethod
    def _caption(params: Params) -> JSONDict:
        caption = params.get_str("caption")
        if caption is None or not caption.strip():
            return {}
        if len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return {"caption": caption}

    @staticmethod
    def _validate_inline_keyboard(rows: Any) -> JSONDict:
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "inline_keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                if not any(action in button for action in _INLINE_BUTTON_ACTIONS):
                    raise bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise bad_request("BUTTON_DATA_INVALID")
        return {"inline_keyboard": copy.deepcopy(rows)}

    def _reply_markup(self, params: Params) -> tuple[JSONDict | None, JSONDict | None]:
        """Returns (markup echoed in the Message, markup as sent). The bot sends inline
        keyboards and ForceReply prompts; reply keyboards are not emulated."""
        raw = params.get_json("reply_markup")
        if raw is None:
            return None, None
        if not isinstance(raw, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            inline = self._validate_inline_keyboard(raw["inline_keyboard"])
            return inline, copy.deepcopy(inline)
        if raw.get("force_reply"):
            # Telegram does not echo a ForceReply in Message.reply_markup.
            return None, copy.deepcopy(raw)
        raise bad_request("can't parse reply keyboard markup JSON object")

    # --- sending -------------------------------------------------------------------------

    def _store_bot_message(
        self,
        chat: Chat,
        content: JSONDict,
        *,
        method: str,
        markup: tuple[JSONDict | None, JSONDict | None],
    ) -> JSONDict:
        inline_markup, sent_markup = markup
        message_id = chat.take_message_id()
        data: JSONDict = {
            "message_id": message_id,
            "from": copy.deepcopy(self._bot_user),
            "chat": chat.to_json(),
            "date": int(time.time()),
            **content,
        }
        if inline_markup is not None:
            data["reply_markup"] = inline_markup
        stored = StoredMessage(chat.id, message_id, True, method, data, sent_markup)
        stored.versions.append(Version(method, copy.deepcopy(data), copy.deepcopy(sent_markup)))
        chat.messages[message_id] = stored
        chat.events.append(Event("message", message_id))
        self._changed()
        self._notify_listeners(stored)
        return copy.deepcopy(data)

    def _api_send_message(self, params: Params) -> JSONDict:
        with self._lock:
            chat = self._resolve_chat(params)
            text = self._checked_text(params)
            markup = self._reply_markup(params)
            self._check_can_write(chat)
            return self._store_bot_message(
                chat, {"text": text}, method="sendMessage", markup=markup
            )

    def _input_file(self, params: Params, kind: str) -> StoredFile:
        upload = params.files.get(kind)
        if upload is None:
            reference = params.get_str(kind)
            if reference is None:
                raise bad_request(f"there is no {kind} in the request")
            # A file_id (the bot re-sends residents' photos); URLs are never fetched.
            existing = self._files.get(reference)
            if existing is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if existing.kind != kind:
                raise bad_request(
                    f"can't use file of type {existing.kind.title()} as {kind.title()}"
                )
            return existing
        if not upload.data:
            raise bad_request("file must be non-empty")
        if kind == "photo" and png_size(upload.data) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        return self._new_file(
            kind, upload.data, file_name=upload.filename, mime_type=upload.content_type
        )

    def _send_media(self, params: Params, method: str, kind: str) -> JSONDict:
        with self._lock:
            chat = self._resolve_chat(params)
            stored = self._input_file(params, kind)
            content: JSONDict
            if kind == "photo":
                content = {"photo": self._photo_sizes(stored)}
            else:
                content = {"document": self._document_json(stored)}
            content.update(self._caption(params))
            markup = self._reply_markup(params)
            self._check_can_write(chat)
            return self._store_bot_message(chat, content, method=method, markup=markup)

    @staticmethod
    def _document_json(stored: StoredFile) -> JSONDict:
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    def _api_send_photo(self, params: Params) -> JSONDict:
        return self._send_media(params, "sendPhoto", "photo")

    def _api_send_document(self, params: Params) -> JSONDict:
        return self._send_media(params, "sendDocument", "document")

    def _api_get_file(self, params: Params) -> JSONDict:
        """A file the server holds (a user's photo, a sent document), with the path the
        file server (server.py, ``base_file_url``) gives its bytes under."""
        file_id = params.get_str("file_id")
        if not file_id:
            raise bad_request("file_id is empty")
        with self._lock:
            stored = self._files.get(file_id)
            if stored is None:
                raise bad_request("invalid file_id")
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "file_path": self.file_path(stored),
            }

    @staticmethod
    def file_path(stored: StoredFile) -> str:
        # Telegram's look ("photos/file_3.jpg"); the file id keeps the look-up direct.
        return f"{stored.kind}s/{stored.file_id}"

    # --- editing and deleting ------------------------------------------------------------

    def _editable(self, params: Params) -> tuple[Chat, StoredMessage]:
        chat = self._resolve_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return chat, stored

    def _apply_edit(
        self,
        chat: Chat,
        stored: StoredMessage,
        new: JSONDict,
        method: str,
        sent_markup: JSONDict | None,
    ) -> JSONDict:
        keys = ("text", "caption", "reply_markup")
        if all(new.get(key) == stored.data.get(key) for key in keys):
            raise bad_request(_NOT_MODIFIED)
        self._check_can_write(chat)
        new["edit_date"] = int(time.time())
        stored.data = new
        stored.sent_markup = sent_markup
        stored.versions.append(Version(method, copy.deepcopy(new), copy.deepcopy(sent_markup)))
        chat.events.append(Event("edit", stored.message_id, len(stored.versions) - 1))
        self._changed()
        return copy.deepcopy(new)

    @staticmethod
    def _with_markup(data: JSONDict, inline: JSONDict | None) -> JSONDict:
        # An edit without reply_markup removes the inline keyboard, as on Telegram.
        new = copy.deepcopy(data)
        if inline is None:
            new.pop("reply_markup", None)
        else:
            new["reply_markup"] = inline
        return new

    def _api_edit_message_text(self, params: Params) -> JSONDict:
        with self._lock:
            chat, stored = self._editable(params)
            if "text" not in stored.data:
                raise bad_request("there is no text in the message to edit")
            text = self._checked_text(params)
            inline, sent = self._reply_markup(params)
            new = self._with_markup(stored.data, inline)
            new["text"] = text
            return self._apply_edit(chat, stored, new, "editMessageText", sent)

    def _api_edit_message_reply_markup(self, params: Params) -> JSONDict:
        with self._lock:
            chat, stored = self._editable(params)
            inline, sent = self._reply_markup(params)
            new = self._with_markup(stored.data, inline)
            return self._apply_edit(chat, stored, new, "editMessageReplyMarkup", sent)

    def _api_delete_message(self, params: Params) -> bool:
        with self._lock:
            chat = self._resolve_chat(params)
            message_id = params.get_int("message_id")
            stored = chat.messages.get(message_id) if message_id is not None else None
            if stored is None or stored.deleted:
                raise bad_request("message to delete not found")
            stored.deleted = True
            chat.events.append(Event("note", note=f"bot deleted message #{message_id}"))
            self._changed()
            return True

    # --- callback queries and commands ---------------------------------------------------

    def _api_answer_callback_query(self, params: Params) -> bool:
        with self._lock:
            query_id = params.get_str("callback_query_id")
            query = self._callback_queries.get(query_id or "")
            if query is None or query.answered:
                raise bad_request(_QUERY_INVALID)
            text = params.get_str("text")
            if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
                raise bad_request("MESSAGE_TOO_LONG")
            query.answered = True
            answer = CallbackAnswer(
                callback_query_id=query.query_id,
                chat_id=query.chat_id,
                message_id=query.message_id,
                data=query.data,
                user_id=query.user_id,
                text=text,
                show_alert=params.get_bool("show_alert"),
                time=time.time(),
            )
            self._callback_answers.append(answer)
            chat = self._chats.get(query.chat_id) if query.chat_id is not None else None
            if chat is not None:
                shown = "alert" if answer.show_alert else "toast"
                note = f"bot answered callback {query.query_id}"
                chat.events.append(
                    Event("note", note=f"{note} ({shown}: {text!r})" if text else note)
                )
            self._changed()
            return True

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.get_str("language_code") or ""

    def _api_set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON array")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            key = self._commands_key(params)
            if commands:
                self._commands[key] = copy.deepcopy(commands)
            else:
                self._commands.pop(key, None)
            self._changed()
        return True

    def _api_delete_my_commands(self, params: Params) -> bool:
        with self._lock:
            self._commands.pop(self._commands_key(params), None)
            self._changed()
        return True
