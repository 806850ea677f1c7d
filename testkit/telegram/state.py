"""The fake server's records and request decoding (internal to :mod:`testkit.telegram`)."""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, Literal

from testkit.telegram.models import JSONDict

#: Telegram's documented limits (https://core.telegram.org/bots/api).
MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200

TOKEN_RE: Final = re.compile(r"\d+:[A-Za-z0-9_-]+")

# Form-encoded and multipart requests carry every value as a string; PTB JSON-encodes the
# complex ones. Normalising known fields once keeps the request log identical whichever
# encoding the client used, so tests can assert on ``params`` without caring.
_JSON_FIELDS: Final = frozenset({"reply_markup", "allowed_updates", "commands", "scope"})
_INT_FIELDS: Final = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time"}
)
_BOOL_FIELDS: Final = frozenset(
    {"show_alert", "disable_notification", "protect_content", "drop_pending_updates"}
)


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(detail: str) -> ApiError:
    return ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {detail}")


@dataclass
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_name: str | None
    mime_type: str | None


@dataclass
class Version:
    method: str
    data: JSONDict
    sent_markup: JSONDict | None


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    from_bot: bool
    method: str
    data: JSONDict
    sent_markup: JSONDict | None = None
    versions: list[Version] = field(default_factory=list)
    deleted: bool = False


@dataclass
class Event:
    """One line of a chat's transcript."""

    kind: Literal["message", "edit", "note"]
    message_id: int = 0
    version: int = 0
    note: str = ""


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def take_message_id(self) -> int:
        # Message ids are per chat and shared by the user's and the bot's messages.
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or "User"
        else:
            data["title"] = self.title or f"Test {self.type} {self.id}"
        return data


@dataclass
class CallbackQuery:
    query_id: str
    chat_id: int | None
    message_id: int | None
    data: str | None
    user_id: int
    answered: bool = False


@dataclass
class Fault:
    method: str
    remaining: int
    action: Literal["error", "drop", "delay", "accept_drop"]
    status: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    chat_id: int | None = None


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class Params:
    """Request parameters with Bot API type coercion."""

    def __init__(self, values: JSONDict, files: dict[str, Upload]) -> None:
        self.values = values
        self.files = files

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value is None or value == "" else value

    def get_str(self, name: str) -> str | None:
        value = self.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def get_int(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def get_bool(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        value = self.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def for_log(self) -> JSONDict:
        logged = copy.deepcopy(self.values)
        for name, upload in self.files.items():
            logged[name] = {
                "filename": upload.filename,
                "content_type": upload.content_type,
                "size": len(upload.data),
            }
        return logged


def normalise_value(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        with contextlib.suppress(ValueError):
            return json.loads(value)
    elif name in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    elif name in _BOOL_FIELDS and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def without_reply(message: JSONDict) -> JSONDict:
    # Telegram nests replied-to messages only one level deep.
    data = copy.deepcopy(message)
    data.pop("reply_to_message", None)
    return data


def utf16_len(text: str) -> int:
    # Entity offsets and lengths are counted in UTF-16 code units by the Bot API.
    return len(text.encode("utf-16-le")) // 2


def detect_entities(text: str) -> list[JSONDict]:
    """Entities Telegram's server adds to user messages by itself (commands, links, e-mails)."""
    patterns = (
        ("bot_command", r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])"),
        ("url", r"\bhttps?://[^\s<>\"]+"),
        ("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    )
    entities: list[JSONDict] = []
    for kind, pattern in patterns:
        for match in re.finditer(pattern, text):
            entities.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    # Telegram orders entities by offset, outer (longer) entities first.
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """Returns a valid PNG image (uniform colour), for tests that need a real photo."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


#: A 1x1 PNG; the default content of user photos.
TINY_PNG: Final = make_png()


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG image; None if it is not one.

    Telegram rejects photos it cannot decode (IMAGE_PROCESS_FAILED), which catches a bot that
    sends e.g. a PDF through sendPhoto. The bot uploads no photos (it re-sends residents'
    photos by file_id) and the tests make theirs with :func:`make_png`, so PNG is enough.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None
