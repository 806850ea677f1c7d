"""The commune website's chat window: the API behind web/static/widget.js, mounted at
/widget by the composition root (web/app.py).

A resident is a browser session: a signed cookie of its own (not the staff cookie)
holding a random session id; the sender id is "web:<id>" (laikhe.senders). Each turn goes
through the same conversation core as Telegram and Zalo (bot/conversation.py), and is
kept (services/web_chat) so the resident sees it again when they come back, with the
office's answers, which the outbox hands over when the widget fetches its messages.

Guards, in order: the page's origin is on the allow-list (WIDGET_ALLOWED_ORIGINS and our
own address; CORS answers only those), a live session, the CSRF token issued with it in
the X-CSRF-Token header (a custom header also forces the browser's preflight), the rate
limits, the body size, and a pressed button must be one the last replies offered.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.conversation import MAX_MESSAGE_CHARS, Conversation, typed_text
from db.session import unit_of_work
from laikhe.choices import Button
from laikhe.keyed_locks import KeyedLocks
from laikhe.logsafe import pseudonym
from laikhe.payloads import payload
from laikhe.request_body import body_within
from laikhe.senders import web_sender_id
from services import photo_store, web_chat
from services.photo_store import MAX_PHOTO_BYTES, NOT_AN_IMAGE, PhotoRejected, PhotoStore

logger = logging.getLogger(__name__)

COOKIE: Final = "laikhe_widget"
CSRF_HEADER: Final = "X-CSRF-Token"
# The same signed session, for a portal on another site where the browser does not send
# our cookie (third-party cookies blocked, or plain HTTP where it cannot be
# SameSite=None): the widget keeps it in the portal's localStorage and sends it here.
SESSION_HEADER: Final = "X-Widget-Session"
# A resident may come back weeks later for the office's answer.
SESSION_SECONDS: Final = 90 * 24 * 3600
# A message is at most 2,000 characters; 4 bytes each (emoji) plus JSON is under 16 KB.
MAX_BODY_BYTES: Final = 16 * 1024
# Per session: a person types a message every few seconds at most. Per address: a
# household or an office behind one address has several people; a script has many
# sessions. Kept in this process (one web process serves the widget; docs/channels.md).
SESSION_LIMIT: Final = (12, 60.0)
ADDRESS_LIMIT: Final = (60, 60.0)
# Fetches: an open window polls every 10 s; a few tabs of a few people per address.
READ_LIMIT: Final = (120, 60.0)

SESSION_EXPIRED: Final = (
    "Phiên trò chuyện đã hết hạn hoặc không còn hiệu lực. Anh/Chị vui lòng gửi lại tin nhắn."
)
CSRF_REFUSED: Final = "Phiên trò chuyện đã đổi. Anh/Chị vui lòng gửi lại tin nhắn."
ORIGIN_REFUSED: Final = "Trang này không được phép dùng khung hỏi đáp của xã."
RATE_LIMITED: Final = "Anh/Chị gửi nhanh quá. Anh/Chị vui lòng đợi khoảng một phút rồi gửi tiếp."
TOO_LARGE: Final = (
    f"Tin nhắn dài quá {MAX_MESSAGE_CHARS} ký tự. Anh/Chị rút gọn giúp, "
    "hoặc chia thành vài tin nhắn ngắn."
)
PHOTO_TOO_LARGE: Final = photo_store.TOO_LARGE
PHOTOS_OFF: Final = "Khung hỏi đáp này chưa nhận ảnh. Anh/Chị mô tả bằng chữ giúp."
# The resident's own line in the window's history for a photo (the photo itself is not
# kept in the history).
PHOTO_SENT: Final = "[Đã gửi 1 ảnh]"
BAD_REQUEST: Final = "Tin nhắn không đọc được. Anh/Chị vui lòng gõ lại nội dung rồi gửi."
NOT_OUR_BUTTON: Final = (
    "Lựa chọn này không còn hiệu lực. Anh/Chị chọn một nút trong tin nhắn mới nhất, "
    "hoặc gõ nội dung cần hỏi."
)
SOMETHING_WENT_WRONG: Final = (
    "Xin lỗi Anh/Chị, đã có lỗi khi xử lý tin nhắn. Anh/Chị vui lòng thử lại sau ít phút."
)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class RateLimiter:
    """At most `limit` events per `window` seconds per key (a sliding window of times).
    In memory: enough for the one web process; several would need a shared store."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self._clock()
        events = self._events.pop(key, None) or deque()
        while events and events[0] <= now - self._window:
            events.popleft()
        allowed = len(events) < self._limit
        if allowed:
            events.append(now)
        self._events[key] = events  # most recently used last
        while len(self._events) > 50_000:  # forget the oldest keys, not the limit
            self._events.popitem(last=False)
        return allowed


@dataclass
class WidgetContext:
    sessions: async_sessionmaker[AsyncSession]
    conversation: Conversation
    secret_key: str
    allowed_origins: frozenset[str]
    now: Callable[[], datetime]
    https: bool
    per_session: RateLimiter = field(default_factory=lambda: RateLimiter(*SESSION_LIMIT))
    per_address: RateLimiter = field(default_factory=lambda: RateLimiter(*ADDRESS_LIMIT))
    reads: RateLimiter = field(default_factory=lambda: RateLimiter(*READ_LIMIT))
    # One turn at a time per session: a double click must not interleave two turns.
    locks: KeyedLocks[str] = field(default_factory=KeyedLocks)
    # Photos sent from the window (PHOTO_DIR); None: the window takes none.
    photos: PhotoStore | None = None

    @property
    def signer(self) -> TimestampSigner:
        return TimestampSigner(self.secret_key, salt="laikhe-widget-session")

    def csrf_token(self, session_id: str) -> str:
        """Derived from the session id with the key: nothing to store, cannot be guessed."""
        mac = hmac.new(self.secret_key.encode(), f"csrf:{session_id}".encode(), hashlib.sha256)
        return mac.hexdigest()


def _context(request: Request) -> WidgetContext:
    context: WidgetContext = request.app.state.widget
    return context


def _error(text: str, status: int, **headers: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status, headers=headers or None)


def _session_id(request: Request, context: WidgetContext) -> str | None:
    """The session of the cookie, else of the header; None when neither is valid."""
    for signed in (request.cookies.get(COOKIE), request.headers.get(SESSION_HEADER)):
        if not signed:
            continue
        try:
            value = context.signer.unsign(signed, max_age=SESSION_SECONDS).decode()
        except (BadSignature, UnicodeDecodeError):
            continue
        if 16 <= len(value) <= 43:
            return value
    return None


def _origin_allowed(request: Request, context: WidgetContext, *, required: bool) -> bool:
    """A browser names the page's origin on every cross-origin request and every POST;
    a same-origin GET may carry none."""
    origin = request.headers.get("origin")
    if origin is None:
        return not required
    return origin.lower() in context.allowed_origins


def _address(request: Request) -> str:
    """The TCP peer: behind a reverse proxy, the proxy (docs/channels.md)."""
    return request.client.host if request.client else "unknown"


def _lines(lines: list[web_chat.ChatLine]) -> list[dict[str, Any]]:
    return [
        {
            "id": line.id,
            "from_resident": line.from_resident,
            "text": line.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in line.buttons],
        }
        for line in lines
    ]


def _after(request: Request) -> int:
    raw = request.query_params.get("after", "0")
    return int(raw) if raw.isdigit() and len(raw) < 12 else 0


async def messages(request: Request) -> Response:
    """The session's messages after `?after=` (all, on first load) with the office's
    answers delivered; starts a session when there is none, and issues its CSRF token."""
    context = _context(request)
    if not _origin_allowed(request, context, required=False):
        return _error(ORIGIN_REFUSED, 403)
    if not context.reads.allow(_address(request)):
        return _error(RATE_LIMITED, 429, **{"Retry-After": "60"})
    session_id = _session_id(request, context)
    new = session_id is None
    if session_id is None:
        session_id = secrets.token_urlsafe(18)
    sender_id = web_sender_id(session_id)
    lines: list[web_chat.ChatLine] = []
    if not new:
        async with unit_of_work(context.sessions) as session:
            lines = await _new_lines(request, context, session, sender_id)
    signed = context.signer.sign(session_id).decode()
    response = JSONResponse(
        {"csrf": context.csrf_token(session_id), "session": signed, "messages": _lines(lines)}
    )
    if new:
        _set_cookie(response, context, signed)
    return response


def _set_cookie(response: Response, context: WidgetContext, signed: str) -> None:
    # A portal on another site reads it as a third-party cookie: SameSite=None and
    # Secure (HTTPS only), partitioned per portal where the browser supports it.
    response.set_cookie(
        COOKIE,
        signed,
        max_age=SESSION_SECONDS,
        path="/widget",
        httponly=True,
        secure=context.https,
        samesite="none" if context.https else "lax",
        partitioned=context.https,
    )


def _read_message(body: bytes) -> tuple[str, str] | None:
    """("text", typed) or ("payload", button payload); None when it is neither."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    for kind in ("text", "payload"):
        value = data.get(kind)
        if isinstance(value, str):
            return kind, value
    return None


def _pressed(payload: str, offered: tuple[Button, ...]) -> Button | None:
    return next((button for button in offered if button.payload == payload), None)


async def _guarded_body(
    request: Request, context: WidgetContext, limit: int, too_large: str
) -> tuple[str, bytes] | Response:
    """(session id, body) of a POST that passes the guards (origin, session, CSRF,
    rate, size), else the refusal to answer."""
    if not _origin_allowed(request, context, required=True):
        return _error(ORIGIN_REFUSED, 403)
    session_id = _session_id(request, context)
    if session_id is None:
        return _error(SESSION_EXPIRED, 401)
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), context.csrf_token(session_id).encode()):
        return _error(CSRF_REFUSED, 403)
    address = _address(request)
    if not context.per_address.allow(address) or not context.per_session.allow(session_id):
        return _error(RATE_LIMITED, 429, **{"Retry-After": "60"})
    body = await body_within(request, limit)
    if body is None:
        return _error(too_large, 413)
    return session_id, body


async def post_message(request: Request) -> Response:
    context = _context(request)
    guarded = await _guarded_body(request, context, MAX_BODY_BYTES, TOO_LARGE)
    if isinstance(guarded, Response):
        return guarded
    session_id, body = guarded
    message = _read_message(body)
    if message is None:
        return _error(BAD_REQUEST, 400)
    return await _in_turn(request, context, web_sender_id(session_id), *message)


async def post_photo(request: Request) -> Response:
    """A photo from the window: the file's bytes as the body (image/jpeg or image/png),
    checked, re-encoded without metadata and stored, then handed to the form step as a
    Telegram photo is (by reference)."""
    context = _context(request)
    if context.photos is None:
        return _error(PHOTOS_OFF, 404)
    guarded = await _guarded_body(request, context, MAX_PHOTO_BYTES, PHOTO_TOO_LARGE)
    if isinstance(guarded, Response):
        return guarded
    session_id, body = guarded
    try:
        stored = await asyncio.to_thread(context.photos.save, body)
    except PhotoRejected as rejected:
        return _error(rejected.reply, 415 if rejected.reply == NOT_AN_IMAGE else 413)
    return await _in_turn(request, context, web_sender_id(session_id), "photo", stored.ref)


async def _in_turn(
    request: Request, context: WidgetContext, sender_id: str, kind: str, value: str
) -> Response:
    """One turn at a time per session (a double click must not interleave two)."""
    try:
        async with context.locks.turn(sender_id):
            return await _turn(request, context, sender_id, kind, value)
    except Exception:
        logger.exception("a widget turn failed for %s", pseudonym(sender_id))
        return _error(SOMETHING_WENT_WRONG, 500)


async def _turn(
    request: Request, context: WidgetContext, sender_id: str, kind: str, value: str
) -> Response:
    conversation = context.conversation
    if kind == "payload":
        async with unit_of_work(context.sessions) as session:
            offered = await web_chat.offered_buttons(session=session, sender_id=sender_id)
        pressed = _pressed(value, offered)
        if pressed is None:
            # Only the buttons we put on the last replies are choices; anything else
            # would be a forged intent payload (as bot/telegram_app.refuse_forged_button).
            logger.warning("refused a widget payload that was not offered")
            return _error(NOT_OUR_BUTTON, 409)
        said: str | None = pressed.title
        replies = await conversation.handle_payload(sender_id, pressed.payload)
    elif kind == "photo":
        said = PHOTO_SENT
        replies = await conversation.handle_payload(sender_id, payload("inform", photo=value))
    else:
        cleaned = typed_text(value)
        if len(cleaned) > MAX_MESSAGE_CHARS:
            return _error(TOO_LARGE, 413)
        # An empty message is answered by the core, and not kept.
        said = cleaned or None
        replies = await conversation.handle_text(sender_id, value)
    # The turn kept, the office's answers taken and the window's new lines read in one
    # transaction (one commit).
    async with unit_of_work(context.sessions) as session:
        await web_chat.record(
            session=session,
            sender_id=sender_id,
            said=said,
            replies=[(reply.text, reply.buttons) for reply in replies],
            now=context.now(),
        )
        lines = await _new_lines(request, context, session, sender_id)
    if await conversation.finish_turn(sender_id):
        # The resident's data was erased, this turn's lines with it. The confirmation is
        # shown once and kept nowhere; the window clears what it showed.
        return JSONResponse(
            {"messages": [], "erased": True, "notices": [r.text for r in replies if r.text]}
        )
    return JSONResponse({"messages": _lines(lines)})


async def _new_lines(
    request: Request, context: WidgetContext, session: AsyncSession, sender_id: str
) -> list[web_chat.ChatLine]:
    """The office's answers delivered, then the lines after the window's `?after=`."""
    await web_chat.deliver_pending(session=session, sender_id=sender_id, now=context.now())
    return await web_chat.history(session=session, sender_id=sender_id, after=_after(request))


def widget_app(context: WidgetContext) -> Starlette:
    """The API under /widget/api, with CORS for the allowed portal origins only."""
    app = Starlette(
        routes=[
            Route("/api/messages", messages, methods=["GET"]),
            Route("/api/messages", post_message, methods=["POST"]),
            Route("/api/photos", post_photo, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=sorted(context.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", CSRF_HEADER, SESSION_HEADER],
                allow_credentials=True,
                max_age=600,
            )
        ],
    )
    app.state.widget = context
    return app


def allowed_origins(configured: Collection[str], own_url: str) -> frozenset[str]:
    """The portal origins from the settings and our own (the demo page)."""
    return frozenset({origin_of(url) for url in configured if url.strip()} | {origin_of(own_url)})
