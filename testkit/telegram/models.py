"""What tests read from the fake server: snapshots, never live state (mutating them never
affects the server)."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

JSONDict = dict[str, Any]
#: Inline keyboard rows as ``(text, callback_data)`` pairs (None for URL buttons).
ButtonRows = list[list[tuple[str, str | None]]]


def inline_buttons(markup: JSONDict | None) -> ButtonRows:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [(str(button.get("text", "")), button.get("callback_data")) for button in row]
        for row in markup["inline_keyboard"]
    ]


@dataclass(frozen=True)
class MessageVersion:
    """One state of a bot message: the original send or the result of one edit."""

    method: str
    text: str | None
    caption: str | None
    reply_markup: JSONDict | None
    buttons: ButtonRows
    edit_date: int | None


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent, as it is now (after edits), with its history.

    ``reply_markup`` is what Telegram echoes in the Message (inline keyboards only);
    ``sent_reply_markup`` is the markup as the bot sent it (e.g. a ForceReply).
    """

    chat_id: int
    message_id: int
    method: str
    date: int
    text: str | None
    caption: str | None
    reply_markup: JSONDict | None
    sent_reply_markup: JSONDict | None
    buttons: ButtonRows
    photo: list[JSONDict] | None
    document: JSONDict | None
    file_id: str | None
    deleted: bool
    versions: list[MessageVersion]
    raw: JSONDict

    @property
    def edits(self) -> list[MessageVersion]:
        """Versions produced by edits, oldest first (the original send excluded)."""
        return self.versions[1:]

    @property
    def edited(self) -> bool:
        return len(self.versions) > 1

    @property
    def content(self) -> str:
        """The text, or the caption of a media message, or ''."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values of the inline keyboard, row by row."""
        return [data for row in self.buttons for _, data in row if data is not None]

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    def callback_data_for(self, button_text: str) -> str:
        """The callback_data of the inline button labelled ``button_text``."""
        for row in self.buttons:
            for text, data in row:
                if text == button_text and data is not None:
                    return data
        raise AssertionError(
            f"message {self.message_id} has no callback button {button_text!r}; "
            f"buttons: {self.buttons}"
        )


@dataclass(frozen=True)
class CallbackAnswer:
    """An answerCallbackQuery call, joined with the query it answered."""

    callback_query_id: str
    chat_id: int | None
    message_id: int | None
    data: str | None
    user_id: int
    text: str | None
    show_alert: bool
    time: float


@dataclass(frozen=True)
class RequestRecord:
    """One Bot API request as the server saw it.

    ``method`` is Telegram's canonical spelling (e.g. ``sendMessage``) whatever case the client
    used; ``params`` are decoded the same way for JSON, form and multipart bodies (uploaded files
    appear as ``{"filename", "content_type", "size"}``); ``time`` is the arrival time; ``status``
    is the HTTP status returned (0 when the connection was dropped on purpose); ``injected`` is
    ``"error"``, ``"drop"``, ``"delay"`` or ``"accept_drop"`` when an injected fault applied.
    Records are appended when the response is sent, so a long poll shows up when it returns.
    """

    method: str
    params: JSONDict
    time: float
    status: int
    description: str | None
    result: Any
    injected: str | None

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an update to the webhook (``status`` None if no HTTP response)."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    time: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300
