"""A fake Telegram Bot API server for end-to-end tests.

The real Bot API is reached by python-telegram-bot (PTB) through plain HTTP, so the most faithful
test double is an HTTP server speaking the same protocol: the application under test runs
unmodified, with only ``ApplicationBuilder().base_url(...)`` / ``.base_file_url(...)`` pointed
here. The server runs in its own thread with its own asyncio loop so that it can be driven from
synchronous tests and from asynchronous tests (whose loop also runs the application) alike.

What is emulated, and why it matters for tests:

* the response envelope and HTTP status codes, because PTB maps them to exception classes
  (400 -> BadRequest, 403 -> Forbidden, 409 -> Conflict, ``retry_after`` -> RetryAfter, ...);
* long polling with ``offset`` confirmation and webhooks with the secret-token header and
  retries, so both update-delivery modes of the application can be exercised;
* the validation Telegram performs that real bots trip over: text length after entity parsing,
  HTML / MarkdownV2 / Markdown markup errors, ``callback_data`` size, "message is not modified",
  editing or deleting unknown messages, answering a callback query twice, blocked users;
* state the tests inspect: every message the bot sent per chat with its edit history, callback
  query answers, chat actions, commands, files and a log of every request.

Deliberate differences from Telegram, all in the direction of keeping tests hermetic:

* webhook URLs must point to a loopback address (so a test can never make the fake reach the
  internet) and plain ``http`` and any port are accepted (Telegram requires https on
  443/80/88/8443, which a local test server cannot provide);
* photos / documents given by HTTP URL are never downloaded; a placeholder file is recorded;
* inline-mode messages (``inline_message_id``), media groups, polls, payments and the many other
  methods a citizen-feedback bot does not use are not implemented: they answer
  404 "Not Found: method ... is not implemented by the fake Telegram server" so a test fails
  loudly instead of silently passing.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import ipaddress
import json
import logging
import mimetypes
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

__all__ = [
    "TINY_PNG",
    "CallbackAnswer",
    "EntityParseError",
    "FakeTelegramServer",
    "MessageVersion",
    "RequestRecord",
    "SentMessage",
    "WebhookDelivery",
    "make_png",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]

JSONDict = dict[str, Any]
T = TypeVar("T")

_LOG: Final = logging.getLogger("tests.fake_telegram")

#: Telegram's documented limits (https://core.telegram.org/bots/api).
MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_DOWNLOAD_SIZE: Final = 20 * 1024 * 1024

_TOKEN_RE: Final = re.compile(r"\d+:[A-Za-z0-9_-]+")
_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")

#: Update types delivered when ``allowed_updates`` is not set (Telegram's documented default).
_DEFAULT_EXCLUDED_UPDATES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_INLINE_BUTTON_ACTIONS: Final = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# Form-encoded and multipart requests carry every value as a string; PTB JSON-encodes the
# complex ones. Normalising known fields once keeps the request log identical whichever
# encoding the client used, so tests can assert on ``params`` without caring.
_JSON_FIELDS: Final = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "media",
        "menu_button",
        "rights",
        "reaction",
    }
)
_INT_FIELDS: Final = frozenset(
    {
        "chat_id",
        "message_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "max_connections",
        "cache_time",
        "message_thread_id",
        "from_chat_id",
        "duration",
        "width",
        "height",
    }
)
_BOOL_FIELDS: Final = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "has_spoiler",
        "is_personal",
        "show_caption_above_media",
        "disable_content_type_detection",
    }
)

_NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_INVALID: Final = "query is too old and response timeout expired or query ID is invalid"


# --------------------------------------------------------------------------------------------
# Markup parsing
# --------------------------------------------------------------------------------------------


class EntityParseError(ValueError):
    """Markup Telegram would reject.

    The message is what Telegram puts after ``"Bad Request: can't parse entities: "``; the
    wording and byte offsets follow Telegram's (tdlib's) parser so test failures read the same as
    production errors.
    """


def _utf16_len(text: str) -> int:
    # Entity offsets and lengths are counted in UTF-16 code units by the Bot API.
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src: str, index: int) -> int:
    # Telegram reports parse-error positions as UTF-8 byte offsets.
    return len(src[:index].encode("utf-8"))


class _TextBuilder:
    """Accumulates plain text while tracking the UTF-16 offset used for entities."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.offset = 0

    def add(self, chunk: str) -> None:
        if chunk:
            self._parts.append(chunk)
            self.offset += _utf16_len(chunk)

    def text(self) -> str:
        return "".join(self._parts)


def _link_entity(url: str, offset: int, length: int) -> JSONDict:
    match = re.fullmatch(r"tg://user\?id=(\d+)", url)
    if match:
        user = {"id": int(match.group(1)), "is_bot": False, "first_name": ""}
        return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


def _sorted_entities(entities: list[JSONDict]) -> list[JSONDict]:
    # Telegram orders entities by offset, outer (longer) entities first.
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


_HTML_TAGS: Final = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_SIMPLE_TAGS: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}
_HTML_ENTITY_RE: Final = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_HTML_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_html_entity(match: re.Match[str]) -> str | None:
    body = match.group(1)
    if body[:2] in ("#x", "#X"):
        code_point = int(body[2:], 16)
    elif body.startswith("#"):
        code_point = int(body[1:])
    else:
        # Telegram only knows these four named entities; others stay literal text.
        return _HTML_NAMED_ENTITIES.get(body)
    if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        return None
    return chr(code_point)


def _decode_html_entities(raw: str) -> str:
    return _HTML_ENTITY_RE.sub(lambda m: _decode_html_entity(m) or m.group(0), raw)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int
    byte_offset: int


def _parse_html_attributes(src: str, pos: int, tag_offset: int) -> tuple[dict[str, str], int]:
    """Parses attributes from ``pos`` up to ``>``; returns them and the index after ``>``."""
    attrs: dict[str, str] = {}
    n = len(src)
    unclosed = EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
    while True:
        while pos < n and src[pos].isspace():
            pos += 1
        if pos >= n:
            raise unclosed
        if src[pos] == ">":
            return attrs, pos + 1
        start = pos
        while pos < n and not src[pos].isspace() and src[pos] not in "=>":
            pos += 1
        name = src[start:pos].lower()
        if not name:
            raise EntityParseError(f"Empty attribute name in the tag at byte offset {tag_offset}")
        while pos < n and src[pos].isspace():
            pos += 1
        value = ""
        if pos < n and src[pos] == "=":
            pos += 1
            while pos < n and src[pos].isspace():
                pos += 1
            if pos >= n:
                raise unclosed
            if src[pos] in "\"'":
                end = src.find(src[pos], pos + 1)
                if end < 0:
                    raise unclosed
                raw = src[pos + 1 : end]
                pos = end + 1
            else:
                start = pos
                while pos < n and not src[pos].isspace() and src[pos] != ">":
                    pos += 1
                raw = src[start:pos]
            value = _decode_html_entities(raw)
        attrs[name] = value


def _close_html_tag(
    tag: _OpenTag, stack: list[_OpenTag], end_offset: int, entities: list[JSONDict]
) -> None:
    length = end_offset - tag.offset
    css_class = tag.attrs.get("class", "")
    is_pre_code = tag.name == "code" and stack and stack[-1].name == "pre"
    if is_pre_code and css_class.startswith("language-"):
        # <pre><code class="language-x"> is one pre entity with a language.
        stack[-1].attrs["\0language"] = css_class[len("language-") :]
        return
    if tag.name == "tg-emoji" and not tag.attrs.get("emoji-id", "").isdigit():
        raise EntityParseError("Custom emoji identifier must be a number")
    if length <= 0:
        return
    entity: JSONDict
    if tag.name in _HTML_SIMPLE_TAGS:
        entity = {"type": _HTML_SIMPLE_TAGS[tag.name], "offset": tag.offset, "length": length}
    elif tag.name == "a":
        href = tag.attrs.get("href", "")
        if not href:
            return
        entity = _link_entity(href, tag.offset, length)
    elif tag.name == "pre":
        entity = {"type": "pre", "offset": tag.offset, "length": length}
        if "\0language" in tag.attrs:
            entity["language"] = tag.attrs["\0language"]
    elif tag.name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        entity = {"type": kind, "offset": tag.offset, "length": length}
    else:  # tg-emoji
        entity = {
            "type": "custom_emoji",
            "offset": tag.offset,
            "length": length,
            "custom_emoji_id": tag.attrs["emoji-id"],
        }
    entities.append(entity)


def parse_html(src: str) -> tuple[str, list[JSONDict]]:
    """Parses Telegram-flavoured HTML into plain text and Bot API entities.

    Mirrors tdlib's rules: only Telegram's tags are allowed, every bare ``<`` must be escaped,
    end tags must match, and only ``&lt; &gt; &amp; &quot;`` and numeric entities are decoded.
    """
    out = _TextBuilder()
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "&":
            match = _HTML_ENTITY_RE.match(src, i)
            decoded = _decode_html_entity(match) if match else None
            if match is not None and decoded is not None:
                out.add(decoded)
                i = match.end()
            else:
                out.add(ch)
                i += 1
            continue
        if ch != "<":
            j = i
            while j < n and src[j] not in "<&":
                j += 1
            out.add(src[i:j])
            i = j
            continue
        begin = _byte_offset(src, i)
        if i + 1 < n and src[i + 1] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
            j = i + 2
            while j < n and not src[j].isspace() and src[j] != ">":
                j += 1
            end_name = src[i + 2 : j].lower()
            while j < n and src[j].isspace():
                j += 1
            if j >= n or src[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag.name}>", '
                    f'found "</{end_name}>"'
                )
            _close_html_tag(tag, stack, out.offset, entities)
            i = j + 1
            continue
        j = i + 1
        while j < n and not src[j].isspace() and src[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        name = src[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        attrs, i = _parse_html_attributes(src, j, begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        stack.append(_OpenTag(name, attrs, out.offset, begin))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.text(), _sorted_entities(entities)


_MDV2_RESERVED: Final = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_ENTITY_NAMES: Final = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_MDV2_MARKER_LENGTH: Final = {"underline": 2, "spoiler": 2, "pre": 3}


@dataclass
class _MdOpen:
    kind: str
    offset: int
    byte_offset: int
    language: str | None = None


def _mdv2_closes(kind: str, src: str, i: int) -> bool:
    ch = src[i]
    if kind == "italic":
        # "__" is greedily read as underline, as Telegram documents.
        return ch == "_" and not src.startswith("__", i)
    if kind == "underline":
        return src.startswith("__", i)
    if kind == "spoiler":
        return src.startswith("||", i)
    if kind == "pre":
        return src.startswith("```", i)
    return (
        ch
        == {
            "bold": "*",
            "strikethrough": "~",
            "code": "`",
            "text_link": "]",
            "custom_emoji": "]",
        }[kind]
    )


def _mdv2_url(src: str, i: int) -> tuple[str | None, int]:
    """Reads ``(url)`` right after a link's ``]``; returns the URL (None if absent) and index."""
    if not src.startswith("(", i):
        return None, i
    begin = _byte_offset(src, i)
    j = i + 1
    chars: list[str] = []
    while j < len(src) and src[j] != ")":
        if src[j] == "\\" and j + 1 < len(src) and 0 < ord(src[j + 1]) <= 126:
            chars.append(src[j + 1])
            j += 2
        else:
            chars.append(src[j])
            j += 1
    if j >= len(src):
        raise EntityParseError(f"Can't find end of a URL at byte offset {begin}")
    return "".join(chars), j + 1


def parse_markdown_v2(src: str) -> tuple[str, list[JSONDict]]:
    """Parses MarkdownV2 into plain text and entities, rejecting unescaped reserved characters.

    The unescaped-``.``/``-``/``!`` mistake is the most common MarkdownV2 bug in real bots, so
    this parser is strict about reserved characters exactly where Telegram is.
    """
    out = _TextBuilder()
    stack: list[_MdOpen] = []
    entities: list[JSONDict] = []
    quote_start: int | None = None
    quote_expandable = False
    i, n = 0, len(src)

    def close_quote() -> None:
        nonlocal quote_start
        if quote_start is not None and out.offset > quote_start:
            kind = "expandable_blockquote" if quote_expandable else "blockquote"
            entities.append(
                {"type": kind, "offset": quote_start, "length": out.offset - quote_start}
            )
        quote_start = None

    while i < n:
        ch = src[i]
        top = stack[-1] if stack else None
        in_code = top is not None and top.kind in ("code", "pre")
        if ch == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            out.add(src[i + 1])
            i += 2
            continue
        if ch == "\n":
            # A blockquote ends at the first line that does not start with '>'.
            next_is_quote = src.startswith(">", i + 1) or src.startswith("**>", i + 1)
            if quote_start is not None and not stack and not next_is_quote:
                close_quote()
            out.add(ch)
            i += 1
            continue
        if in_code:
            if ch != "`":
                out.add(ch)
                i += 1
                continue
        elif ch not in _MDV2_RESERVED:
            out.add(ch)
            i += 1
            continue
        at_line_start = i == 0 or src[i - 1] == "\n"
        if not stack and at_line_start and (ch == ">" or src.startswith("**>", i)):
            if quote_start is None:
                quote_start = out.offset
                quote_expandable = ch == "*"
            i += 1 if ch == ">" else 3
            continue
        line_end = i + 2 == n or src.startswith("\n", i + 2)
        in_expandable = quote_expandable and quote_start is not None and not stack
        if in_expandable and src.startswith("||", i) and line_end:
            # "||" at the end of a line closes an expandable blockquote.
            i += 2
            continue
        if top is not None and _mdv2_closes(top.kind, src, i):
            stack.pop()
            i += _MDV2_MARKER_LENGTH.get(top.kind, 1)
            length = out.offset - top.offset
            entity: JSONDict | None = {"type": top.kind, "offset": top.offset, "length": length}
            if top.kind == "text_link":
                url, i = _mdv2_url(src, i)
                entity = _link_entity(url, top.offset, length) if url else None
            elif top.kind == "custom_emoji":
                url, i = _mdv2_url(src, i)
                match = re.fullmatch(r"tg://emoji\?id=(\d+)", url or "")
                if match is None:
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                entity = {
                    "type": "custom_emoji",
                    "offset": top.offset,
                    "length": length,
                    "custom_emoji_id": match.group(1),
                }
            elif top.kind == "pre" and top.language:
                assert entity is not None
                entity["language"] = top.language
            if entity is not None and length > 0:
                entities.append(entity)
            continue
        begin = _byte_offset(src, i)
        reserved = EntityParseError(
            f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
        )
        language: str | None = None
        if ch == "_":
            kind, step = ("underline", 2) if src.startswith("__", i) else ("italic", 1)
        elif ch == "*":
            kind, step = "bold", 1
        elif ch == "~":
            kind, step = "strikethrough", 1
        elif ch == "|":
            if not src.startswith("||", i):
                raise reserved
            kind, step = "spoiler", 2
        elif ch == "[":
            kind, step = "text_link", 1
        elif ch == "!":
            if not src.startswith("![", i):
                raise reserved
            kind, step = "custom_emoji", 2
        elif ch == "`":
            kind, step = ("pre", 3) if src.startswith("```", i) else ("code", 1)
        else:
            raise reserved
        i += step
        if kind == "pre":
            newline = src.find("\n", i)
            if newline >= 0:
                candidate = src[i:newline]
                if not any(c.isspace() or c == "`" for c in candidate):
                    language = candidate or None
                    i = newline + 1
        stack.append(_MdOpen(kind, out.offset, begin, language))
    if stack:
        last = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_ENTITY_NAMES[last.kind]} entity at byte offset "
            f"{last.byte_offset}"
        )
    close_quote()
    return out.text(), _sorted_entities(entities)


def parse_markdown(src: str) -> tuple[str, list[JSONDict]]:
    """Parses legacy ``Markdown`` (no nesting; ``_ * ` [`` are the only markers)."""
    out = _TextBuilder()
    entities: list[JSONDict] = []
    i, n = 0, len(src)
    kinds = {"_": "italic", "*": "bold", "`": "code", "[": "text_link"}
    while i < n:
        ch = src[i]
        if ch == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.add(src[i + 1])
            i += 2
            continue
        if ch not in kinds:
            out.add(ch)
            i += 1
            continue
        begin = _byte_offset(src, i)
        is_pre = src.startswith("```", i)
        end_marker = "```" if is_pre else ("]" if ch == "[" else ch)
        i += 3 if is_pre else 1
        language: str | None = None
        if is_pre:
            newline = src.find("\n", i)
            end = src.find("```", i)
            if 0 <= newline < end:
                candidate = src[i:newline]
                if candidate and not any(c.isspace() for c in candidate):
                    language = candidate
                    i = newline + 1
        start = out.offset
        end = src.find(end_marker, i)
        if end < 0:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {begin}")
        out.add(src[i:end])
        i = end + len(end_marker)
        length = out.offset - start
        entity: JSONDict | None = {
            "type": "pre" if is_pre else kinds[ch],
            "offset": start,
            "length": length,
        }
        if ch == "[" and not is_pre:
            entity = None
            if src.startswith("(", i):
                close = src.find(")", i)
                if close >= 0:
                    url = src[i + 1 : close]
                    i = close + 1
                    entity = _link_entity(url, start, length) if url else None
        elif is_pre and language and entity is not None:
            entity["language"] = language
        if entity is not None and length > 0:
            entities.append(entity)
    return out.text(), _sorted_entities(entities)


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


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


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image; None if it is not one.

    Telegram rejects photos it cannot decode (IMAGE_PROCESS_FAILED), which catches a bot that
    sends e.g. a PDF through sendPhoto; reading the header is enough to emulate that.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 <= len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            (segment_length,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + int(segment_length)
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        fmt = data[12:16]
        if fmt == b"VP8X":
            width = 1 + int.from_bytes(data[24:27], "little")
            height = 1 + int.from_bytes(data[27:30], "little")
            return width, height
        if fmt == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return int(width) & 0x3FFF, int(height) & 0x3FFF
        if fmt == b"VP8L":
            b = data[21:25]
            width = 1 + (((b[1] & 0x3F) << 8) | b[0])
            height = 1 + (((b[3] & 0x0F) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
            return width, height
    return None


# --------------------------------------------------------------------------------------------
# Public value types (snapshots handed to tests; mutating them never affects the server)
# --------------------------------------------------------------------------------------------

ButtonRows = list[list[tuple[str, str | None]]]


def _inline_buttons(markup: JSONDict | None) -> ButtonRows:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [(str(button.get("text", "")), button.get("callback_data")) for button in row]
        for row in markup["inline_keyboard"]
    ]


def _keyboard_texts(markup: JSONDict | None) -> list[list[str]]:
    if not markup or "keyboard" not in markup:
        return []
    return [
        [button if isinstance(button, str) else str(button.get("text", "")) for button in row]
        for row in markup["keyboard"]
    ]


@dataclass(frozen=True)
class MessageVersion:
    """One state of a bot message: the original send or the result of one edit."""

    method: str
    text: str | None
    caption: str | None
    entities: list[JSONDict]
    reply_markup: JSONDict | None
    buttons: ButtonRows
    edit_date: int | None
    raw: JSONDict


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent, as it is now (after edits), with its history.

    ``buttons`` are the inline keyboard rows as ``(text, callback_data)`` pairs
    (``callback_data`` is None for URL and other non-callback buttons); ``keyboard`` holds the
    texts of a reply keyboard, which Telegram does not echo back in ``Message.reply_markup`` and
    is therefore only visible in ``sent_reply_markup``.
    """

    chat_id: int
    message_id: int
    method: str
    date: int
    text: str | None
    caption: str | None
    entities: list[JSONDict]
    parse_mode: str | None
    reply_markup: JSONDict | None
    sent_reply_markup: JSONDict | None
    buttons: ButtonRows
    keyboard: list[list[str]]
    reply_to_message_id: int | None
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
    url: str | None
    cache_time: int | None
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
    http_method: str

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


# --------------------------------------------------------------------------------------------
# Internal state
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad_request(detail: str) -> ApiError:
    return ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {detail}")


@dataclass
class _Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None
    mime_type: str | None
    source_url: str | None = None


@dataclass
class _Version:
    method: str
    data: JSONDict
    sent_markup: JSONDict | None


@dataclass
class _StoredMessage:
    chat_id: int
    message_id: int
    from_bot: bool
    method: str
    data: JSONDict
    parse_mode: str | None = None
    sent_markup: JSONDict | None = None
    versions: list[_Version] = field(default_factory=list)
    deleted: bool = False


@dataclass
class _Event:
    """One line of a chat's transcript."""

    kind: Literal["message", "edit", "note"]
    message_id: int = 0
    version: int = 0
    note: str = ""


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, _StoredMessage] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)
    chat_actions: list[str] = field(default_factory=list)
    members: set[int] = field(default_factory=set)
    member_status: dict[int, str] = field(default_factory=dict)

    def take_message_id(self) -> int:
        # Message ids are per chat and shared by the user's and the bot's messages.
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def to_json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or "User"
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or f"Test {self.type} {self.id}"
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class _CallbackQuery:
    query_id: str
    chat_id: int | None
    message_id: int | None
    data: str | None
    user_id: int
    answered: bool = False


@dataclass
class _Fault:
    method: str
    remaining: int
    action: Literal["error", "drop", "delay", "accept_drop"]
    status: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    chat_id: int | None = None


@dataclass
class _Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class _Params:
    """Request parameters with Bot API type coercion."""

    def __init__(self, values: JSONDict, files: dict[str, _Upload]) -> None:
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
        raise _bad_request(f'field "{name}" must be of type String')

    def get_int(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise _bad_request(f"invalid {name} specified")

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
                raise _bad_request(f"can't parse {name} JSON object") from None
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


def _normalise_value(name: str, value: Any) -> Any:
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


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _without_reply(message: JSONDict) -> JSONDict:
    # Telegram nests replied-to messages only one level deep.
    data = copy.deepcopy(message)
    data.pop("reply_to_message", None)
    return data


def _detect_entities(text: str) -> list[JSONDict]:
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
                    "offset": _utf16_len(text[: match.start()]),
                    "length": _utf16_len(match.group(0)),
                }
            )
    return _sorted_entities(entities)


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_FILE_FOLDERS: Final = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ""),
    "voice": ("voice", ".oga"),
    "sticker": ("stickers", ".webp"),
    "audio": ("music", ".mp3"),
    "video": ("videos", ".mp4"),
}

_UNSET: Final = object()


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegramServer:
    """A Bot API server on 127.0.0.1 for one bot token, running in a background thread.

    Test-side methods are thread-safe. The ``wait_for*`` methods block; from an ``async`` test
    (where the application runs on the test's own loop) use the ``*_async`` variants instead, or
    the application could not make progress while the test waits.
    """

    #: Sender of group messages when the test does not choose one.
    DEFAULT_GROUP_USER_ID: Final = 5001

    def __init__(
        self,
        token: str = "123:TEST",
        *,
        port: int = 0,
        bot_username: str = "test_bot",
        bot_first_name: str = "Test Bot",
        webhook_retry_max_delay: float = 1.0,
    ) -> None:
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError(f"not a Bot API token: {token!r} (expected '<digits>:<secret>')")
        self._token = token
        self._requested_port = port
        self._bot_user: JSONDict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._webhook_retry_max_delay = webhook_retry_max_delay

        # One re-entrant lock guards all state: handlers run on the server loop while tests
        # read and write from their own thread.
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._async_waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

        # Counters that survive clear(): update ids must keep growing, or a running poller
        # whose offset is already past them would never see new updates.
        self._next_update_id = 1
        self._next_file_number = 1
        self._next_query_number = 1

        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._startup_error: BaseException | None = None
        self._closing = False
        self._closing_event: asyncio.Event | None = None
        self._updates_event: asyncio.Event | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._poll_sequence = 0
        self._message_listeners: list[Callable[[SentMessage, float], None]] = []

        self._methods: dict[str, tuple[str, Callable[[_Params], Any]]] = {}
        for name, handler in self._handlers().items():
            self._methods[name.lower()] = (name, handler)

        self._reset_state()

    def _reset_state(self) -> None:
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, JSONDict] = {}
        self._files: dict[str, _StoredFile] = {}
        self._pending_updates: list[JSONDict] = []
        self._allowed_updates: set[str] | None = None
        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._callback_answers: list[CallbackAnswer] = []
        self._requests: list[RequestRecord] = []
        self._faults: list[_Fault] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._webhook = _Webhook()
        self._webhook_allowed_updates: list[str] | None = None
        self._deliveries: list[WebhookDelivery] = []

    # ----------------------------------------------------------------------------------------
    # Lifecycle
    # ----------------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FakeTelegramServer:
        """Starts the server thread and returns once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("FakeTelegramServer is already running")
        ready = threading.Event()
        self._startup_error = None
        self._closing = False
        thread = threading.Thread(
            target=self._run_thread, args=(ready,), name="FakeTelegramServer", daemon=True
        )
        self._thread = thread
        thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("FakeTelegramServer did not start in time")
        if self._startup_error is not None:
            thread.join(timeout)
            self._thread = None
            raise RuntimeError("FakeTelegramServer failed to start") from self._startup_error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the server and joins its thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        try:
            if loop is not None and loop.is_running():
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                try:
                    future.result(timeout)
                finally:
                    loop.call_soon_threadsafe(loop.stop)
        finally:
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError("FakeTelegramServer thread did not stop")
            self._thread = None
            self._loop = None
            self._port = None

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegramServer is not running")
        return self._port

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)`` (PTB appends the token)."""
        return f"{self.url}/file/bot"

    @property
    def token(self) -> str:
        return self._token

    @property
    def bot_id(self) -> int:
        return int(self._bot_user["id"])

    @property
    def bot_username(self) -> str:
        return str(self._bot_user["username"])

    @property
    def bot_user(self) -> JSONDict:
        return copy.deepcopy(self._bot_user)

    def _run_thread(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:
                self._startup_error = exc
                return
            finally:
                ready.set()
            loop.run_forever()
        finally:
            # Anything still pending (e.g. a handler aiohttp gave up waiting for) is cancelled
            # so the loop closes cleanly and no task outlives the server.
            leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()

    async def _startup(self) -> None:
        self._closing_event = asyncio.Event()
        self._updates_event = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        # A short shutdown timeout: in-flight long polls are woken on shutdown anyway, and a
        # test suite must not hang for aiohttp's default 60 s.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", self._requested_port))
        except OSError:
            sock.close()
            await runner.cleanup()
            raise
        self._port = int(sock.getsockname()[1])
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner

    async def _shutdown(self) -> None:
        self._closing = True
        if self._closing_event is not None:
            self._closing_event.set()
        self._wake_local()
        task = self._webhook_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ----------------------------------------------------------------------------------------
    # Notification plumbing
    # ----------------------------------------------------------------------------------------

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

    # ----------------------------------------------------------------------------------------
    # HTTP layer
    # ----------------------------------------------------------------------------------------

    @staticmethod
    def _envelope_error(error: ApiError) -> web.Response:
        body: JSONDict = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    def _check_token(self, token: str) -> ApiError | None:
        if not _TOKEN_RE.fullmatch(token):
            return ApiError(HTTPStatus.NOT_FOUND, "Not Found")
        if token != self._token:
            return ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        return None

    async def _read_params(self, request: web.Request) -> _Params:
        values: JSONDict = dict(request.query)
        files: dict[str, _Upload] = {}
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        files[name] = _Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[name] = value
            else:
                body = await request.read()
                if body.strip():
                    try:
                        decoded = json.loads(body)
                    except ValueError:
                        raise _bad_request("can't parse JSON request body") from None
                    if not isinstance(decoded, dict):
                        raise _bad_request("request body must be a JSON object")
                    values.update(decoded)
        normalised = {name: _normalise_value(name, value) for name, value in values.items()}
        return _Params(normalised, files)

    def _take_fault(self, method: str, params: _Params) -> _Fault | None:
        with self._lock:
            chat_id = params.values.get("chat_id")
            for fault in self._faults:
                if fault.method != method.lower() or fault.remaining <= 0:
                    continue
                if fault.chat_id is not None and fault.chat_id != chat_id:
                    continue
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _record(
        self,
        *,
        method: str,
        params: _Params | None,
        arrived: float,
        status: int,
        description: str | None,
        result: Any,
        injected: str | None,
        http_method: str,
    ) -> None:
        with self._lock:
            self._requests.append(
                RequestRecord(
                    method=method,
                    params=params.for_log() if params is not None else {},
                    time=arrived,
                    status=status,
                    description=description,
                    result=copy.deepcopy(result),
                    injected=injected,
                    http_method=http_method,
                )
            )
            if status != HTTPStatus.OK and params is not None:
                # Failed sends go into the chat's transcript: a timeout message then shows
                # e.g. "can't parse entities" instead of just a missing reply.
                chat_id = params.values.get("chat_id")
                chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
                if chat is not None:
                    why = description or "no response"
                    chat.events.append(_Event("note", note=f"!! {method} failed: {status} {why}"))
            self._changed()

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        arrived = time.time()
        raw_method = request.match_info["method"]
        spec = self._methods.get(raw_method.lower())
        method = spec[0] if spec is not None else raw_method
        token_error = self._check_token(request.match_info["token"])
        if token_error is not None:
            return self._envelope_error(token_error)

        def respond_error(
            error: ApiError, params: _Params | None, injected: str | None
        ) -> web.Response:
            self._record(
                method=method,
                params=params,
                arrived=arrived,
                status=error.status,
                description=error.description,
                result=None,
                injected=injected,
                http_method=request.method,
            )
            return self._envelope_error(error)

        try:
            params = await self._read_params(request)
        except ApiError as error:
            return respond_error(error, None, None)

        injected: str | None = None
        fault = self._take_fault(method, params)
        if fault is not None:
            injected = fault.action
            if fault.action == "drop":
                self._record(
                    method=method,
                    params=params,
                    arrived=arrived,
                    status=0,
                    description="connection dropped (injected)",
                    result=None,
                    injected=injected,
                    http_method=request.method,
                )
                # Aborting the transport makes the client see "server disconnected without
                # sending a response"; the Response below is never written.
                if request.transport is not None:
                    request.transport.abort()
                return web.Response()
            if fault.action == "error":
                injected_error = ApiError(fault.status, fault.description, fault.retry_after)
                return respond_error(injected_error, params, injected)
            if fault.action == "delay":
                await self._sleep(fault.delay)

        if spec is None:
            unknown = ApiError(
                HTTPStatus.NOT_FOUND,
                f"Not Found: method {raw_method} is not implemented by the fake Telegram server",
            )
            return respond_error(unknown, params, injected)

        def respond_ok(result: Any) -> web.Response:
            if injected == "accept_drop" and request.transport is not None:
                # Done and logged as a success, then the answer is lost on the way: the
                # client sees a reset although Telegram delivered the message.
                request.transport.abort()
            self._record(
                method=method,
                params=params,
                arrived=arrived,
                status=HTTPStatus.OK,
                description=None,
                result=result,
                injected=injected,
                http_method=request.method,
            )
            body: JSONDict = {"ok": True, "result": result}
            description = {"setWebhook": "Webhook was set", "deleteWebhook": "Webhook was deleted"}
            if method in description:
                body["description"] = description[method]
            return web.json_response(body)

        try:
            with self._lock:
                # Synchronous handlers run and are logged under one lock hold, so a test that
                # sees their effect (an edited message, say) also sees the request in the log.
                outcome = spec[1](params)
                if not isinstance(outcome, Awaitable):
                    return respond_ok(outcome)
            result = await outcome
        except ApiError as error:
            return respond_error(error, params, injected)
        except Exception as exc:
            _LOG.exception("fake Telegram server failed handling %s", method)
            bug = ApiError(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                f"Internal Server Error: fake server bug: {exc!r}",
            )
            return respond_error(bug, params, injected)
        return respond_ok(result)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token_error = self._check_token(request.match_info["token"])
        if token_error is not None:
            return self._envelope_error(token_error)
        file_path = request.match_info["file_path"]
        with self._lock:
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
        if stored is None:
            return self._envelope_error(ApiError(HTTPStatus.NOT_FOUND, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ----------------------------------------------------------------------------------------
    # Bot API methods
    # ----------------------------------------------------------------------------------------

    def _handlers(self) -> dict[str, Callable[[_Params], Any]]:
        def accept(_: _Params) -> bool:
            # Methods whose effect no test inspects beyond the request log.
            return True

        return {
            "getMe": self._api_get_me,
            "getUpdates": self._api_get_updates,
            "setWebhook": self._api_set_webhook,
            "deleteWebhook": self._api_delete_webhook,
            "getWebhookInfo": self._api_get_webhook_info,
            "sendMessage": self._api_send_message,
            "editMessageText": self._api_edit_message_text,
            "editMessageCaption": self._api_edit_message_caption,
            "editMessageReplyMarkup": self._api_edit_message_reply_markup,
            "deleteMessage": self._api_delete_message,
            "answerCallbackQuery": self._api_answer_callback_query,
            "sendChatAction": self._api_send_chat_action,
            "setMyCommands": self._api_set_my_commands,
            "getMyCommands": self._api_get_my_commands,
            "deleteMyCommands": self._api_delete_my_commands,
            "sendPhoto": self._api_send_photo,
            "sendDocument": self._api_send_document,
            "getFile": self._api_get_file,
            "getChat": self._api_get_chat,
            "getChatMember": self._api_get_chat_member,
            "close": accept,
            "logOut": accept,
            "setMyDescription": accept,
            "setMyShortDescription": accept,
            "setMyName": accept,
            "setChatMenuButton": accept,
            "setMyDefaultAdministratorRights": accept,
            "pinChatMessage": accept,
            "unpinChatMessage": accept,
            "unpinAllChatMessages": accept,
            "leaveChat": accept,
            "setMessageReaction": accept,
        }

    def _api_get_me(self, _: _Params) -> JSONDict:
        return {
            **self._bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # --- updates -----------------------------------------------------------------------------

    def _set_allowed_updates(self, allowed: Any) -> None:
        if allowed is None:
            return  # Telegram keeps the previous setting
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise _bad_request("can't parse allowed_updates JSON array")
        self._allowed_updates = set(allowed) or None

    def _is_allowed(self, update: JSONDict) -> bool:
        kind = _update_type(update)
        if self._allowed_updates is None:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _drop_disallowed(self) -> None:
        # Telegram never creates updates of types the bot did not ask for.
        self._pending_updates = [u for u in self._pending_updates if self._is_allowed(u)]

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        else:
            self._pending_updates = self._pending_updates[offset:]
        self._changed()

    async def _api_get_updates(self, params: _Params) -> list[JSONDict]:
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_int("timeout") or 0, 0)
        with self._lock:
            if self._webhook.url:
                raise ApiError(
                    HTTPStatus.CONFLICT,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            self._set_allowed_updates(params.get_json("allowed_updates"))
            self._confirm(offset)
            self._poll_sequence += 1
            my_sequence = self._poll_sequence
        # A newer getUpdates terminates an older one, as on Telegram: two pollers for one
        # token is a bug the tests should see.
        self._wake_local()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                self._drop_disallowed()
                batch = copy.deepcopy(self._pending_updates[:limit])
                superseded = self._poll_sequence != my_sequence
                webhook_set = bool(self._webhook.url)
            if batch:
                return batch
            if superseded or webhook_set:
                raise ApiError(
                    HTTPStatus.CONFLICT,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing or self._updates_event is None:
                return []
            # Capturing the event and checking the queue happen without an await in between,
            # so a wake-up scheduled by another thread cannot be missed.
            event = self._updates_event
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # --- webhooks ------------------------------------------------------------------------------

    def _api_set_webhook(self, params: _Params) -> bool:
        url = params.get_str("url") or ""
        if not url:
            return self._api_delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _bad_request("bad webhook: Webhook URL must be an absolute HTTP(S) URL")
        if not _is_loopback_host(parts.hostname):
            # Never let the fake talk to the outside world.
            raise _bad_request(
                "bad webhook: the fake Telegram server delivers only to loopback addresses"
            )
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise _bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise _bad_request("bad webhook: max_connections must be between 1 and 100")
        with self._lock:
            allowed = params.get_json("allowed_updates")
            self._set_allowed_updates(allowed)
            if allowed is not None:
                self._webhook_allowed_updates = list(allowed)
            if params.get_bool("drop_pending_updates"):
                self._pending_updates.clear()
            self._webhook = _Webhook(
                url=url,
                secret_token=secret,
                max_connections=max_connections,
                ip_address=params.get_str("ip_address") or "127.0.0.1",
            )
            self._changed()
        self._wake_local()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())
        return True

    def _api_delete_webhook(self, params: _Params) -> bool:
        with self._lock:
            if params.get_bool("drop_pending_updates"):
                self._pending_updates.clear()
            self._webhook = _Webhook()
            self._webhook_allowed_updates = None
            self._changed()
        self._wake_local()
        return True

    def _webhook_info_json(self) -> JSONDict:
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        if hook.url:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = hook.ip_address
            if self._webhook_allowed_updates is not None:
                info["allowed_updates"] = list(self._webhook_allowed_updates)
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        return info

    def _api_get_webhook_info(self, _: _Params) -> JSONDict:
        with self._lock:
            return self._webhook_info_json()

    async def _webhook_worker(self) -> None:
        """POSTs pending updates to the webhook one at a time, in order, retrying failures."""
        delay = 0.05
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._closing:
                with self._lock:
                    hook = self._webhook
                    self._drop_disallowed()
                    update = (
                        copy.deepcopy(self._pending_updates[0]) if self._pending_updates else None
                    )
                if not hook.url:
                    return
                if update is None:
                    event = self._updates_event
                    if event is None:
                        return
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(event.wait(), 1.0)
                    continue
                headers = {"Content-Type": "application/json"}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                status: int | None = None
                error: str | None = None
                try:
                    async with session.post(
                        hook.url, data=json.dumps(update), headers=headers
                    ) as response:
                        status = response.status
                        await response.read()
                        if not 200 <= status < 300:
                            error = f"Wrong response from the webhook: {status} {response.reason}"
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    error = f"Connection failed: {exc!r}"
                with self._lock:
                    self._deliveries.append(
                        WebhookDelivery(update["update_id"], hook.url, status, error, time.time())
                    )
                    if error is None:
                        self._pending_updates = [
                            u
                            for u in self._pending_updates
                            if u["update_id"] != update["update_id"]
                        ]
                    elif self._webhook is hook:
                        hook.last_error_date = int(time.time())
                        hook.last_error_message = error
                    self._changed()
                if error is None:
                    delay = 0.05
                else:
                    await self._sleep(delay)
                    delay = min(delay * 2, self._webhook_retry_max_delay)

    # --- chats and validation ------------------------------------------------------------------

    def _ensure_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type is None:
                if chat_id > 0:
                    chat_type = "private"
                else:
                    chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
            if chat_type not in ("private", "group", "supergroup", "channel"):
                raise ValueError(f"unknown chat type {chat_type!r}")
            if (chat_type == "private") != (chat_id > 0):
                raise ValueError(
                    f"chat id {chat_id} does not fit a {chat_type} chat: private chats have "
                    "positive ids, groups, supergroups and channels negative ones"
                )
            chat = _Chat(id=chat_id, type=chat_type, title=title, username=username)
            if chat_type == "private":
                user = self._users.get(chat_id)
                chat.first_name = user["first_name"] if user else "User"
                chat.last_name = user.get("last_name") if user else None
                chat.username = username or (user.get("username") if user else None)
            self._chats[chat_id] = chat
        elif chat_type is not None and chat.type != chat_type:
            raise ValueError(f"chat {chat_id} is a {chat.type} chat, not a {chat_type} chat")
        if title is not None:
            chat.title = title
        if username is not None:
            chat.username = username
        return chat

    def _resolve_chat(self, params: _Params, name: str = "chat_id") -> _Chat:
        raw = params.get(name)
        if raw is None:
            raise _bad_request(f"{name} is empty")
        if isinstance(raw, int) and not isinstance(raw, bool):
            return self._ensure_chat(raw)
        if isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            for chat in self._chats.values():
                if (chat.username or "").lower() == wanted:
                    return chat
        raise _bad_request("chat not found")

    @staticmethod
    def _check_can_write(chat: _Chat) -> None:
        if not chat.blocked:
            return
        description = {
            "private": "Forbidden: bot was blocked by the user",
            "group": "Forbidden: bot was kicked from the group chat",
            "supergroup": "Forbidden: bot was kicked from the supergroup chat",
        }.get(chat.type, "Forbidden: bot is not a member of the channel chat")
        raise ApiError(HTTPStatus.FORBIDDEN, description)

    @staticmethod
    def _parse_text(
        text: str, parse_mode: str | None, explicit_entities: Any
    ) -> tuple[str, list[JSONDict]]:
        if explicit_entities is not None:
            # Explicit entities take precedence over parse_mode, as on Telegram.
            if not isinstance(explicit_entities, list):
                raise _bad_request("can't parse entities JSON object")
            return text, list(explicit_entities)
        mode = (parse_mode or "").lower()
        parsers: dict[str, Callable[[str], tuple[str, list[JSONDict]]]] = {
            "html": parse_html,
            "markdownv2": parse_markdown_v2,
            "markdown": parse_markdown,
        }
        if not mode:
            return text, []
        if mode not in parsers:
            raise _bad_request("unsupported parse_mode")
        try:
            return parsers[mode](text)
        except EntityParseError as exc:
            raise _bad_request(f"can't parse entities: {exc}") from None

    @staticmethod
    def _check_text(text: str) -> None:
        # Telegram trims whitespace before checking, so a whitespace-only text is "empty".
        if not text.strip():
            raise _bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")

    def _caption(self, params: _Params) -> JSONDict:
        caption = params.get_str("caption")
        if caption is None:
            return {}
        plain, entities = self._parse_text(
            caption, params.get_str("parse_mode"), params.get_json("caption_entities")
        )
        if len(plain) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        if not plain.strip():
            return {}
        content: JSONDict = {"caption": plain}
        if entities:
            content["caption_entities"] = entities
        return content

    @staticmethod
    def _validate_inline_keyboard(rows: Any) -> JSONDict:
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request('field "inline_keyboard" must be an Array of Arrays')
        normalised: list[list[JSONDict]] = []
        for row in rows:
            normalised_row: list[JSONDict] = []
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                if not any(action in button for action in _INLINE_BUTTON_ACTIONS):
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not url:
                        raise _bad_request("BUTTON_URL_INVALID")
                    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
                    if scheme not in ("", "http", "https", "tg", "ton"):
                        raise _bad_request(
                            f"inline keyboard button URL '{url}' is invalid: "
                            "Unsupported URL protocol"
                        )
                normalised_row.append(dict(button))
            normalised.append(normalised_row)
        return {"inline_keyboard": normalised}

    def _reply_markup(self, params: _Params) -> tuple[JSONDict | None, JSONDict | None]:
        """Returns (markup echoed in the Message, markup as sent)."""
        raw = params.get_json("reply_markup")
        if raw is None:
            return None, None
        if not isinstance(raw, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            inline = self._validate_inline_keyboard(raw["inline_keyboard"])
            return inline, copy.deepcopy(inline)
        if "keyboard" in raw:
            rows = raw["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request('field "keyboard" must be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = button if isinstance(button, str) else None
                    if isinstance(button, dict):
                        text = button.get("text")
                    if not isinstance(text, str) or not text:
                        raise _bad_request("can't parse keyboard button: text must be non-empty")
            # Reply keyboards are not echoed in Message.reply_markup by Telegram.
            return None, copy.deepcopy(raw)
        if raw.get("remove_keyboard") or raw.get("force_reply"):
            return None, copy.deepcopy(raw)
        raise _bad_request("can't parse reply keyboard markup JSON object")

    def _reply_to(self, chat: _Chat, params: _Params) -> JSONDict | None:
        reply_parameters = params.get_json("reply_parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        target_chat = chat
        message_id: Any = None
        if isinstance(reply_parameters, dict):
            message_id = reply_parameters.get("message_id")
            allow_missing = allow_missing or bool(
                reply_parameters.get("allow_sending_without_reply")
            )
            other = reply_parameters.get("chat_id")
            if other is not None and other != chat.id:
                target_chat = self._resolve_chat(_Params({"chat_id": other}, {}))
        elif reply_parameters is not None:
            raise _bad_request("can't parse reply parameters JSON object")
        if message_id is None:
            message_id = params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        target = target_chat.messages.get(message_id) if isinstance(message_id, int) else None
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        return _without_reply(target.data)

    def _store_bot_message(
        self,
        chat: _Chat,
        content: JSONDict,
        *,
        method: str,
        params: _Params,
        inline_markup: JSONDict | None,
        sent_markup: JSONDict | None,
        reply_to: JSONDict | None,
    ) -> JSONDict:
        message_id = chat.take_message_id()
        data: JSONDict = {
            "message_id": message_id,
            "from": copy.deepcopy(self._bot_user),
            "chat": chat.to_json(),
            "date": int(time.time()),
            **content,
        }
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        if inline_markup is not None:
            data["reply_markup"] = inline_markup
        stored = _StoredMessage(
            chat_id=chat.id,
            message_id=message_id,
            from_bot=True,
            method=method,
            data=data,
            parse_mode=params.get_str("parse_mode"),
            sent_markup=sent_markup,
        )
        stored.versions.append(_Version(method, copy.deepcopy(data), copy.deepcopy(sent_markup)))
        chat.messages[message_id] = stored
        chat.events.append(_Event("message", message_id))
        self._changed()
        if self._message_listeners:
            arrived = time.time()
            snapshot = self._snapshot(stored)
            for listener in list(self._message_listeners):
                listener(snapshot, arrived)
        return copy.deepcopy(data)

    # --- sending -------------------------------------------------------------------------------

    def _api_send_message(self, params: _Params) -> JSONDict:
        with self._lock:
            chat = self._resolve_chat(params)
            text = params.get_str("text")
            if text is None:
                raise _bad_request("message text is empty")
            plain, entities = self._parse_text(
                text, params.get_str("parse_mode"), params.get_json("entities")
            )
            self._check_text(plain)
            inline, sent = self._reply_markup(params)
            reply_to = self._reply_to(chat, params)
            self._check_can_write(chat)
            content: JSONDict = {"text": plain}
            if entities:
                content["entities"] = entities
            return self._store_bot_message(
                chat,
                content,
                method="sendMessage",
                params=params,
                inline_markup=inline,
                sent_markup=sent,
                reply_to=reply_to,
            )

    def _new_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        source_url: str | None = None,
    ) -> _StoredFile:
        number = self._next_file_number
        self._next_file_number += 1
        folder, extension = _FILE_FOLDERS.get(kind, ("documents", ""))
        if not extension and file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = _StoredFile(
            file_id=f"fake-{kind}-{number}",
            file_unique_id=f"fake-unique-{number}",
            kind=kind,
            data=bytes(data),
            file_path=f"{folder}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            source_url=source_url,
        )
        self._files[stored.file_id] = stored
        return stored

    def _input_file(self, params: _Params, name: str, kind: str) -> _StoredFile:
        upload = params.files.get(name)
        if upload is None:
            reference = params.get_str(name)
            if reference is None:
                raise _bad_request(f"there is no {name} in the request")
            if reference.startswith("attach://"):
                upload = params.files.get(reference[len("attach://") :])
                if upload is None:
                    raise _bad_request(f"there is no {name} in the request")
            elif reference.startswith(("http://", "https://")):
                # Never fetched: tests must not reach the network.
                return self._new_file(kind, b"", source_url=reference)
            else:
                existing = self._files.get(reference)
                if existing is None:
                    raise _bad_request("wrong file identifier/HTTP URL specified")
                if existing.kind != kind:
                    raise _bad_request(
                        f"can't use file of type {existing.kind.title()} as {kind.title()}"
                    )
                return existing
        if not upload.data:
            raise _bad_request("file must be non-empty")
        if kind == "photo" and _image_size(upload.data) is None:
            raise _bad_request("IMAGE_PROCESS_FAILED")
        mime_type = upload.content_type
        if mime_type in (None, "application/octet-stream") and upload.filename:
            mime_type = mimetypes.guess_type(upload.filename)[0] or mime_type
        return self._new_file(kind, upload.data, file_name=upload.filename, mime_type=mime_type)

    @staticmethod
    def _photo_sizes(stored: _StoredFile) -> list[JSONDict]:
        width, height = _image_size(stored.data) or (0, 0)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": len(stored.data),
            }
        ]

    @staticmethod
    def _document_json(stored: _StoredFile) -> JSONDict:
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

    def _send_media(self, params: _Params, method: str, field_name: str) -> JSONDict:
        with self._lock:
            chat = self._resolve_chat(params)
            stored = self._input_file(params, field_name, field_name)
            content: JSONDict
            if field_name == "photo":
                content = {"photo": self._photo_sizes(stored)}
            else:
                content = {"document": self._document_json(stored)}
            content.update(self._caption(params))
            inline, sent = self._reply_markup(params)
            reply_to = self._reply_to(chat, params)
            self._check_can_write(chat)
            return self._store_bot_message(
                chat,
                content,
                method=method,
                params=params,
                inline_markup=inline,
                sent_markup=sent,
                reply_to=reply_to,
            )

    def _api_send_photo(self, params: _Params) -> JSONDict:
        return self._send_media(params, "sendPhoto", "photo")

    def _api_send_document(self, params: _Params) -> JSONDict:
        return self._send_media(params, "sendDocument", "document")

    # --- editing -------------------------------------------------------------------------------

    def _editable(self, params: _Params) -> tuple[_Chat, _StoredMessage]:
        if params.get("inline_message_id") is not None:
            raise _bad_request("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            raise _bad_request("message to edit not found")
        if not stored.from_bot:
            raise _bad_request("message can't be edited")
        return chat, stored

    def _apply_edit(
        self,
        chat: _Chat,
        stored: _StoredMessage,
        new: JSONDict,
        method: str,
        sent_markup: JSONDict | None,
    ) -> JSONDict:
        keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(new.get(key) == stored.data.get(key) for key in keys):
            raise _bad_request(_NOT_MODIFIED)
        self._check_can_write(chat)
        new["edit_date"] = int(time.time())
        stored.data = new
        stored.sent_markup = sent_markup
        stored.versions.append(_Version(method, copy.deepcopy(new), copy.deepcopy(sent_markup)))
        chat.events.append(_Event("edit", stored.message_id, len(stored.versions) - 1))
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

    def _api_edit_message_text(self, params: _Params) -> JSONDict:
        with self._lock:
            chat, stored = self._editable(params)
            if "text" not in stored.data:
                raise _bad_request("there is no text in the message to edit")
            text = params.get_str("text")
            if text is None:
                raise _bad_request("message text is empty")
            plain, entities = self._parse_text(
                text, params.get_str("parse_mode"), params.get_json("entities")
            )
            self._check_text(plain)
            inline, sent = self._reply_markup(params)
            new = self._with_markup(stored.data, inline)
            new["text"] = plain
            new.pop("entities", None)
            if entities:
                new["entities"] = entities
            return self._apply_edit(chat, stored, new, "editMessageText", sent)

    def _api_edit_message_caption(self, params: _Params) -> JSONDict:
        with self._lock:
            chat, stored = self._editable(params)
            if "text" in stored.data:
                raise _bad_request("there is no caption in the message to edit")
            inline, sent = self._reply_markup(params)
            new = self._with_markup(stored.data, inline)
            new.pop("caption", None)
            new.pop("caption_entities", None)
            new.update(self._caption(params))
            return self._apply_edit(chat, stored, new, "editMessageCaption", sent)

    def _api_edit_message_reply_markup(self, params: _Params) -> JSONDict:
        with self._lock:
            chat, stored = self._editable(params)
            inline, sent = self._reply_markup(params)
            new = self._with_markup(stored.data, inline)
            return self._apply_edit(chat, stored, new, "editMessageReplyMarkup", sent)

    def _api_delete_message(self, params: _Params) -> bool:
        with self._lock:
            chat = self._resolve_chat(params)
            message_id = params.get_int("message_id")
            stored = chat.messages.get(message_id) if message_id is not None else None
            if stored is None or stored.deleted:
                raise _bad_request("message to delete not found")
            stored.deleted = True
            chat.events.append(_Event("note", note=f"bot deleted message #{message_id}"))
            self._changed()
            return True

    # --- callbacks, actions, commands ---------------------------------------------------------

    def _api_answer_callback_query(self, params: _Params) -> bool:
        with self._lock:
            query_id = params.get_str("callback_query_id")
            query = self._callback_queries.get(query_id or "")
            if query is None or query.answered:
                raise _bad_request(_QUERY_INVALID)
            text = params.get_str("text")
            if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
                raise _bad_request("MESSAGE_TOO_LONG")
            query.answered = True
            answer = CallbackAnswer(
                callback_query_id=query.query_id,
                chat_id=query.chat_id,
                message_id=query.message_id,
                data=query.data,
                user_id=query.user_id,
                text=text,
                show_alert=params.get_bool("show_alert"),
                url=params.get_str("url"),
                cache_time=params.get_int("cache_time"),
                time=time.time(),
            )
            self._callback_answers.append(answer)
            chat = self._chats.get(query.chat_id) if query.chat_id is not None else None
            if chat is not None:
                shown = "alert" if answer.show_alert else "toast"
                note = f"bot answered callback {query.query_id}"
                chat.events.append(
                    _Event("note", note=f"{note} ({shown}: {text!r})" if text else note)
                )
            self._changed()
            return True

    def _api_send_chat_action(self, params: _Params) -> bool:
        with self._lock:
            chat = self._resolve_chat(params)
            action = params.get_str("action")
            if action not in _CHAT_ACTIONS:
                raise _bad_request("wrong parameter action in request")
            self._check_can_write(chat)
            chat.chat_actions.append(action)
            self._changed()
            return True

    @staticmethod
    def _commands_key(params: _Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.get_str("language_code") or ""

    def _api_set_my_commands(self, params: _Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON array")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME_RE.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            key = self._commands_key(params)
            if commands:
                self._commands[key] = copy.deepcopy(commands)
            else:
                self._commands.pop(key, None)
            self._changed()
        return True

    def _api_get_my_commands(self, params: _Params) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _api_delete_my_commands(self, params: _Params) -> bool:
        with self._lock:
            self._commands.pop(self._commands_key(params), None)
            self._changed()
        return True

    # --- files and chats -----------------------------------------------------------------------

    def _api_get_file(self, params: _Params) -> JSONDict:
        with self._lock:
            stored = self._files.get(params.get_str("file_id") or "")
            if stored is None:
                raise _bad_request("invalid file_id")
            if len(stored.data) > MAX_DOWNLOAD_SIZE:
                raise _bad_request("file is too big")
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "file_path": stored.file_path,
            }

    def _api_get_chat(self, params: _Params) -> JSONDict:
        with self._lock:
            chat = self._resolve_chat(params)
            return {
                **chat.to_json(),
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }

    def _api_get_chat_member(self, params: _Params) -> JSONDict:
        with self._lock:
            chat = self._resolve_chat(params)
            user_id = params.get_int("user_id")
            if user_id is None:
                raise _bad_request("user_id is empty")
            if user_id == self.bot_id:
                user = copy.deepcopy(self._bot_user)
            else:
                user = copy.deepcopy(self._users.get(user_id) or {}) or {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": "User",
                }
            status = chat.member_status.get(user_id)
            if status is None:
                known = user_id in chat.members or user_id == self.bot_id
                known = known or (chat.type == "private" and user_id == chat.id)
                status = "member" if known else "left"
            return self._chat_member_json(user, status)

    @staticmethod
    def _chat_member_json(user: JSONDict, status: str) -> JSONDict:
        member: JSONDict = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            for right in (
                "can_be_edited",
                "is_anonymous",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ):
                member[right] = right not in ("can_be_edited", "is_anonymous")
        elif status == "kicked":
            member["until_date"] = 0
        return member

    # ----------------------------------------------------------------------------------------
    # Test side: simulating users
    # ----------------------------------------------------------------------------------------

    def _ensure_user(
        self,
        user_id: int,
        *,
        first_name: str | None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        user = self._users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name or "Test User"}
            self._users[user_id] = user
        elif first_name is not None:
            user["first_name"] = first_name
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        return user

    def _sender(self, chat: _Chat, user_id: int | None) -> int:
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

    def _user_message(
        self,
        chat_id: int,
        content: JSONDict,
        *,
        user_id: int | None,
        chat_type: str | None,
        first_name: str | None,
        reply_to_message_id: int | None,
        user_fields: dict[str, str | None] | None = None,
        chat_title: str | None = None,
    ) -> JSONDict:
        with self._lock:
            private_user = chat_id if (chat_type == "private" or chat_id > 0) else None
            if private_user is not None:
                # Known before the chat exists so the private chat carries the user's name.
                self._ensure_user(private_user, first_name=first_name, **(user_fields or {}))
            chat = self._ensure_chat(chat_id, chat_type, title=chat_title)
            sender = self._sender(chat, user_id)
            user = self._ensure_user(sender, first_name=first_name, **(user_fields or {}))
            if chat.type == "private":
                chat.first_name = user["first_name"]
                chat.last_name = user.get("last_name")
                chat.username = user.get("username")
            chat.members.add(sender)
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
                data["reply_to_message"] = _without_reply(target.data)
            stored = _StoredMessage(chat.id, message_id, False, "user", data)
            stored.versions.append(_Version("user", copy.deepcopy(data), None))
            chat.messages[message_id] = stored
            chat.events.append(_Event("message", message_id))
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
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        entities: list[JSONDict] | None = None,
        chat_title: str | None = None,
    ) -> JSONDict:
        """Simulates a user writing ``text``; returns the queued update.

        ``chat_type`` defaults to the chat's existing type, else ``private`` for positive ids,
        ``supergroup`` for ``-100…`` ids and ``group`` for other negative ids. In private chats
        the sender is the chat; in groups ``user_id`` defaults to ``DEFAULT_GROUP_USER_ID``.
        Bot commands, URLs and e-mail addresses get entities as Telegram adds them, unless
        ``entities`` is given.
        """
        content: JSONDict = {"text": text}
        detected = _detect_entities(text) if entities is None else entities
        if detected:
            content["entities"] = copy.deepcopy(detected)
        return self._user_message(
            chat_id,
            content,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            reply_to_message_id=reply_to_message_id,
            user_fields={
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
            },
            chat_title=chat_title,
        )

    def send_command(
        self,
        chat_id: int,
        command: str,
        user_id: int | None = None,
        chat_type: str | None = None,
        first_name: str | None = None,
        *,
        mention_bot: bool = False,
        language_code: str | None = None,
    ) -> JSONDict:
        """Sends ``/command [args]`` with a bot_command entity (``/start`` or ``start``).

        ``mention_bot`` appends ``@<bot_username>`` to the command, as group clients do.
        """
        if not command.startswith("/"):
            command = "/" + command
        name, _, rest = command.partition(" ")
        if mention_bot and "@" not in name:
            name = f"{name}@{self.bot_username}"
        text = f"{name} {rest}" if rest else name
        entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(name)}]
        return self.send_text(
            chat_id,
            text,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            language_code=language_code,
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
            detected = _detect_entities(text)
            if detected:
                new["entities"] = detected
            new["edit_date"] = int(time.time())
            stored.data = new
            stored.versions.append(_Version("user-edit", copy.deepcopy(new), None))
            chat.events.append(_Event("edit", message_id, len(stored.versions) - 1))
            return self._enqueue({"edited_message": copy.deepcopy(new)})

    def send_photo(
        self,
        chat_id: int,
        caption: str | None = None,
        user_id: int | None = None,
        chat_type: str | None = None,
        *,
        data: bytes = TINY_PNG,
        first_name: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """Simulates a user sending a photo (``data`` must be an image); returns the update.

        The photo is registered as a file, so the bot can ``getFile`` and download it.
        """
        size = _image_size(data)
        if size is None:
            raise ValueError("send_photo needs PNG, GIF, JPEG or WebP bytes (see make_png)")
        with self._lock:
            stored = self._new_file("photo", data, mime_type="image/jpeg")
            content: JSONDict = {"photo": self._photo_sizes(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(
            chat_id,
            content,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            reply_to_message_id=reply_to_message_id,
        )

    def send_document(
        self,
        chat_id: int,
        data: bytes = b"%PDF-1.4 fake document\n",
        file_name: str = "document.pdf",
        mime_type: str | None = None,
        caption: str | None = None,
        user_id: int | None = None,
        chat_type: str | None = None,
        *,
        first_name: str | None = None,
    ) -> JSONDict:
        """Simulates a user sending a file; returns the update."""
        with self._lock:
            stored = self._new_file("document", data, file_name=file_name, mime_type=mime_type)
            content: JSONDict = {"document": self._document_json(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(
            chat_id,
            content,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            reply_to_message_id=None,
        )

    def send_voice(
        self,
        chat_id: int,
        duration: int = 2,
        user_id: int | None = None,
        chat_type: str | None = None,
        *,
        data: bytes = b"OggS\x00fake voice",
        first_name: str | None = None,
    ) -> JSONDict:
        """Simulates a user sending a voice note; returns the update."""
        with self._lock:
            stored = self._new_file("voice", data, mime_type="audio/ogg")
            voice: JSONDict = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "duration": duration,
                "mime_type": "audio/ogg",
                "file_size": len(data),
            }
        return self._user_message(
            chat_id,
            {"voice": voice},
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            reply_to_message_id=None,
        )

    def send_sticker(
        self,
        chat_id: int,
        emoji: str = "👍",
        user_id: int | None = None,
        chat_type: str | None = None,
        *,
        first_name: str | None = None,
    ) -> JSONDict:
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
        return self._user_message(
            chat_id,
            {"sticker": sticker},
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            reply_to_message_id=None,
        )

    def send_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        user_id: int | None = None,
        chat_type: str | None = None,
    ) -> JSONDict:
        """Simulates a user sharing a location; returns the update."""
        return self._user_message(
            chat_id,
            {"location": {"latitude": latitude, "longitude": longitude}},
            user_id=user_id,
            chat_type=chat_type,
            first_name=None,
            reply_to_message_id=None,
        )

    def send_contact(
        self,
        chat_id: int,
        phone_number: str,
        first_name: str = "Test",
        user_id: int | None = None,
        chat_type: str | None = None,
        *,
        contact_user_id: int | object | None = _UNSET,
    ) -> JSONDict:
        """Simulates a user sharing a contact; by default their own (as a request_contact
        keyboard button does), i.e. ``contact.user_id`` is the sender's id."""
        with self._lock:
            chat = self._ensure_chat(chat_id, chat_type)
            sender = self._sender(chat, user_id)
        contact: JSONDict = {"phone_number": phone_number, "first_name": first_name}
        owner = sender if contact_user_id is _UNSET else contact_user_id
        if owner is not None:
            contact["user_id"] = owner
        return self._user_message(
            chat_id,
            {"contact": contact},
            user_id=user_id,
            chat_type=chat_type,
            first_name=None,
            reply_to_message_id=None,
        )

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
        ``callback_data``; ``force=True`` skips both checks (e.g. stale buttons).
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
                markup = stored.data.get("reply_markup")
                datas = [d for row in _inline_buttons(markup) for _, d in row]
                if callback_data not in datas:
                    raise AssertionError(
                        f"message #{message_id} has no button with callback_data "
                        f"{callback_data!r}; buttons: {_inline_buttons(markup)}\n"
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
            self._callback_queries[query_id] = _CallbackQuery(
                query_id, chat_id, message_id, callback_data, sender
            )
            chat.events.append(
                _Event(
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
                for row in _inline_buttons(stored.data.get("reply_markup")):
                    for text, data in row:
                        if text == button_text and data is not None:
                            return self.press_button(chat_id, stored.message_id, data, user_id)
            raise AssertionError(
                f"no bot message in chat {chat_id} has a callback button {button_text!r}\n"
                + self._transcript_locked(chat_id)
            )

    # ----------------------------------------------------------------------------------------
    # Test side: setup and fault injection
    # ----------------------------------------------------------------------------------------

    def register_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> None:
        """Creates (or updates the title/username of) a chat before anyone writes in it."""
        with self._lock:
            self._ensure_chat(chat_id, chat_type, title=title, username=username)
            self._changed()

    def register_file(
        self,
        data: bytes,
        kind: str = "document",
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> str:
        """Stores a file the bot may send by file_id or download; returns its file_id."""
        if kind not in _FILE_FOLDERS:
            raise ValueError(f"kind must be one of {sorted(_FILE_FOLDERS)}")
        with self._lock:
            return self._new_file(kind, data, file_name=file_name, mime_type=mime_type).file_id

    def set_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Makes sends to the chat fail with 403 (blocked by the user / kicked from a group)."""
        with self._lock:
            self._ensure_chat(chat_id).blocked = blocked
            self._changed()

    def set_chat_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Sets what getChatMember reports (creator, administrator, member, left, kicked)."""
        if status not in ("creator", "administrator", "member", "left", "kicked"):
            raise ValueError(f"unsupported chat member status {status!r}")
        with self._lock:
            self._ensure_chat(chat_id).member_status[user_id] = status

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def fail_next(
        self,
        method: str,
        count: int = 1,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Makes the next ``count`` calls of ``method`` (optionally only for ``chat_id``) fail.

        429 carries ``parameters.retry_after`` (default 1 s), which PTB raises as RetryAfter;
        5xx become NetworkError, 400 BadRequest, 403 Forbidden. The failing call has no effect.
        """
        if status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is None:
            retry_after = 1
        if description is None:
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                description = f"Too Many Requests: retry after {retry_after}"
            elif status == HTTPStatus.BAD_REQUEST:
                description = "Bad Request: injected failure"
            elif status == HTTPStatus.FORBIDDEN:
                description = "Forbidden: injected failure"
            else:
                try:
                    description = HTTPStatus(status).phrase
                except ValueError:
                    description = f"Error {status}"
        self._add_fault(
            _Fault(
                method.lower(),
                count,
                "error",
                status=status,
                description=description,
                retry_after=retry_after,
                chat_id=chat_id,
            )
        )

    def drop_connection_next(
        self, method: str, count: int = 1, *, chat_id: int | None = None
    ) -> None:
        """Closes the connection without a response for the next ``count`` calls of ``method``
        (PTB raises NetworkError). The call has no effect."""
        self._add_fault(_Fault(method.lower(), count, "drop", chat_id=chat_id))

    def delay_next(
        self, method: str, seconds: float, count: int = 1, *, chat_id: int | None = None
    ) -> None:
        """Delays the next ``count`` calls of ``method`` by ``seconds`` before handling them.

        Unlike the failures, a delayed call does take effect: this reproduces "client timed out
        but Telegram delivered the message", the case that causes duplicate messages on retry.
        """
        self._add_fault(_Fault(method.lower(), count, "delay", delay=seconds, chat_id=chat_id))

    def drop_connection_after_next(
        self, method: str, count: int = 1, *, chat_id: int | None = None
    ) -> None:
        """Handles the next ``count`` calls of ``method`` (they take effect) and then closes
        the connection without the response: "the connection was reset after Telegram
        accepted the message" (PTB raises NetworkError), the case a retry duplicates."""
        self._add_fault(_Fault(method.lower(), count, "accept_drop", chat_id=chat_id))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def clear(self) -> None:
        """Forgets chats, messages, files, updates, requests, answers, faults and the webhook.

        Update ids keep increasing so a poller that is still running is not confused.
        """
        with self._lock:
            self._reset_state()
            self._changed()
        self._wake_server()

    # ----------------------------------------------------------------------------------------
    # Test side: inspection
    # ----------------------------------------------------------------------------------------

    @staticmethod
    def _version(version: _Version) -> MessageVersion:
        data = version.data
        return MessageVersion(
            method=version.method,
            text=data.get("text"),
            caption=data.get("caption"),
            entities=copy.deepcopy(data.get("entities") or data.get("caption_entities") or []),
            reply_markup=copy.deepcopy(data.get("reply_markup")),
            buttons=_inline_buttons(data.get("reply_markup")),
            edit_date=data.get("edit_date"),
            raw=copy.deepcopy(data),
        )

    def _snapshot(self, stored: _StoredMessage) -> SentMessage:
        data = stored.data
        photo = copy.deepcopy(data.get("photo"))
        document = copy.deepcopy(data.get("document"))
        file_id = photo[-1]["file_id"] if photo else (document or {}).get("file_id")
        reply_to = data.get("reply_to_message")
        return SentMessage(
            chat_id=stored.chat_id,
            message_id=stored.message_id,
            method=stored.method,
            date=int(data["date"]),
            text=data.get("text"),
            caption=data.get("caption"),
            entities=copy.deepcopy(data.get("entities") or data.get("caption_entities") or []),
            parse_mode=stored.parse_mode,
            reply_markup=copy.deepcopy(data.get("reply_markup")),
            sent_reply_markup=copy.deepcopy(stored.sent_markup),
            buttons=_inline_buttons(data.get("reply_markup")),
            keyboard=_keyboard_texts(stored.sent_markup),
            reply_to_message_id=reply_to["message_id"] if reply_to else None,
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

    def messages(self, chat_id: int, *, include_deleted: bool = True) -> list[SentMessage]:
        """Messages the bot sent to the chat, oldest first, each in its current (edited) state.

        Deleted messages are included (``deleted=True``) by default so counts never go down.
        """
        with self._lock:
            return self._messages_locked(chat_id, include_deleted)

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        with self._lock:
            chat = self._chats.get(chat_id)
            stored = chat.messages.get(message_id) if chat is not None else None
            if stored is None or not stored.from_bot:
                raise KeyError(f"the bot sent no message #{message_id} to chat {chat_id}")
            return self._snapshot(stored)

    def last_message(self, chat_id: int) -> SentMessage:
        with self._lock:
            sent = self._messages_locked(chat_id)
            if not sent:
                raise AssertionError(
                    f"the bot sent nothing to chat {chat_id}\n" + self._transcript_locked(chat_id)
                )
            return sent[-1]

    def chat_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._chats)

    def chat_actions(self, chat_id: int) -> list[str]:
        with self._lock:
            chat = self._chats.get(chat_id)
            return list(chat.chat_actions) if chat is not None else []

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._callback_answers)

    def requests(self, method: str | None = None) -> list[RequestRecord]:
        """The request log (optionally one method, case-insensitive), in response order."""
        with self._lock:
            if method is None:
                return list(self._requests)
            return [r for r in self._requests if r.method.lower() == method.lower()]

    def my_commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """Commands set by setMyCommands for the scope (default scope if None)."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True), language_code
        with self._lock:
            return [(c["command"], c["description"]) for c in self._commands.get(key, [])]

    def file_bytes(self, file_id: str) -> bytes:
        with self._lock:
            stored = self._files.get(file_id)
            if stored is None:
                raise KeyError(f"unknown file_id {file_id!r}")
            return stored.data

    @property
    def webhook_info(self) -> JSONDict:
        """What getWebhookInfo would return now."""
        with self._lock:
            return self._webhook_info_json()

    def webhook_deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by getUpdates nor delivered to the webhook."""
        with self._lock:
            return copy.deepcopy(self._pending_updates)

    @staticmethod
    def _describe(data: JSONDict, sent_markup: JSONDict | None) -> str:
        parts: list[str] = []
        if "photo" in data:
            size = data["photo"][-1]
            parts.append(f"<photo {size['width']}x{size['height']} {size['file_id']}>")
        if "document" in data:
            parts.append(f"<document {data['document'].get('file_name', '')}>")
        for kind in ("voice", "sticker", "location", "contact"):
            if kind in data:
                detail = data[kind].get("emoji") or data[kind].get("phone_number") or ""
                parts.append(f"<{kind} {detail}>".replace(" >", ">"))
        if "text" in data:
            parts.append(str(data["text"]))
        if data.get("caption"):
            parts.append(str(data["caption"]))
        buttons = _inline_buttons(data.get("reply_markup"))
        if buttons:
            rendered = " ".join(
                f"[{text} -> {cb}]" if cb is not None else f"[{text}]"
                for row in buttons
                for text, cb in row
            )
            parts.append(f"  buttons: {rendered}")
        keyboard = _keyboard_texts(sent_markup)
        if keyboard:
            parts.append("  keyboard: " + " | ".join(" ".join(row) for row in keyboard))
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
            text = self._describe(version.data, version.sent_markup)
            lines.append(f"  #{event.message_id} {who}{action}{deleted}: {text}")
        if len(lines) == 1:
            lines.append("    (empty)")
        return "\n".join(lines)

    def transcript(self, chat_id: int) -> str:
        """A human-readable log of the chat: user and bot messages, edits, failures, callbacks."""
        with self._lock:
            return self._transcript_locked(chat_id)

    def on_bot_message(self, listener: Callable[[SentMessage, float], None]) -> Callable[[], None]:
        """Calls ``listener(message, arrival_time)`` for every new message the bot sends.

        For load drivers: waking every waiter on every change costs O(waiters) snapshots per
        message, which would distort a benchmark with many chats. The listener runs on the
        server thread with the state lock held, so it must only hand the message over (e.g.
        ``loop.call_soon_threadsafe``). Returns a function that removes the listener.
        """
        with self._lock:
            self._message_listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._message_listeners:
                    self._message_listeners.remove(listener)

        return remove

    # ----------------------------------------------------------------------------------------
    # Test side: waiting
    # ----------------------------------------------------------------------------------------

    @staticmethod
    def _refuse_blocking_in_loop(name: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        raise RuntimeError(
            f"{name}() blocks; inside a running event loop it would freeze the application "
            f"under test. Use `await fake.{name}_async(...)` instead."
        )

    def _wait_sync(
        self, check: Callable[[], T | None], timeout: float, explain: Callable[[], str]
    ) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = check()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(explain())
                self._cond.wait(remaining)

    async def _wait_async(
        self, check: Callable[[], T | None], timeout: float, explain: Callable[[], str]
    ) -> T:
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        waiter = (loop, event)
        with self._lock:
            self._async_waiters.add(waiter)
        try:
            deadline = loop.time() + timeout
            while True:
                event.clear()
                with self._lock:
                    result = check()
                if result is not None:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    with self._lock:
                        raise AssertionError(explain())
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            with self._lock:
                self._async_waiters.discard(waiter)

    def _messages_check(
        self,
        chat_id: int,
        count: int,
        predicate: Callable[[list[SentMessage]], object] | None,
    ) -> tuple[Callable[[], list[SentMessage] | None], Callable[[], str]]:
        def check() -> list[SentMessage] | None:
            sent = self._messages_locked(chat_id)
            if len(sent) >= count and (predicate is None or predicate(sent)):
                return sent
            return None

        def explain() -> str:
            got = len(self._messages_locked(chat_id))
            condition = " matching the predicate" if predicate is not None else ""
            return (
                f"expected at least {count} bot message(s){condition} in chat {chat_id}, "
                f"got {got}\n{self._transcript_locked(chat_id)}"
            )

        return check, explain

    def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[list[SentMessage]], object] | None = None,
    ) -> list[SentMessage]:
        """Blocks until the bot has sent at least ``count`` messages to the chat (deleted ones
        included) and ``predicate(messages)`` is truthy; returns all of them.

        Raises AssertionError with the conversation so far on timeout. For sync tests whose
        application runs in another thread; async tests use :meth:`wait_for_messages_async`.
        """
        self._refuse_blocking_in_loop("wait_for_messages")
        check, explain = self._messages_check(chat_id, count, predicate)
        return self._wait_sync(check, timeout, explain)

    async def wait_for_messages_async(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[list[SentMessage]], object] | None = None,
    ) -> list[SentMessage]:
        """Awaitable :meth:`wait_for_messages`, letting the test's loop run the application."""
        check, explain = self._messages_check(chat_id, count, predicate)
        return await self._wait_async(check, timeout, explain)

    @staticmethod
    def _predicate_check(
        predicate: Callable[[], T], timeout: float, message: str
    ) -> tuple[Callable[[], T | None], Callable[[], str]]:
        def check() -> T | None:
            result = predicate()
            return result if result else None

        def explain() -> str:
            return message or f"condition {predicate!r} not met within {timeout} s"

        return check, explain

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, message: str = "") -> T:
        """Blocks until ``predicate()`` is truthy (re-checked on every server state change) and
        returns its value; raises AssertionError(``message``) on timeout."""
        self._refuse_blocking_in_loop("wait_for")
        check, explain = self._predicate_check(predicate, timeout, message)
        return self._wait_sync(check, timeout, explain)

    async def wait_for_async(
        self, predicate: Callable[[], T], timeout: float = 5.0, message: str = ""
    ) -> T:
        """Awaitable :meth:`wait_for`."""
        check, explain = self._predicate_check(predicate, timeout, message)
        return await self._wait_async(check, timeout, explain)

    def wait_for_requests(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[RequestRecord]:
        """Blocks until ``count`` requests of ``method`` were answered; returns them."""
        return self.wait_for(
            lambda: self._requests_if(method, count),
            timeout,
            f"expected {count} {method} request(s) within {timeout} s",
        )

    async def wait_for_requests_async(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[RequestRecord]:
        """Awaitable :meth:`wait_for_requests`."""
        return await self.wait_for_async(
            lambda: self._requests_if(method, count),
            timeout,
            f"expected {count} {method} request(s) within {timeout} s",
        )

    def _requests_if(self, method: str, count: int) -> list[RequestRecord]:
        found = self.requests(method)
        return found if len(found) >= count else []
