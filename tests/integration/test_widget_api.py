"""The website chat window's API through HTTP (Starlette's TestClient) on both databases:
the resident's session cookie, CSRF, the origin allow-list and CORS, rate and size
limits, forged button payloads, and the office's answer delivered once from the outbox.

The engine is a scripted stand-in here (these are the web process's own guards, which
decide before any engine is asked); tests/browser/test_widget_browser.py talks to the
real engine and action server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.conversation import EMPTY_MESSAGE
from bot.engine_client import EngineClient
from db.models import OutboxMessage, OutboxStatus, WebChatMessage
from db.session import unit_of_work
from laikhe.commune import CommuneConfig
from laikhe.settings import Settings
from services import web_chat
from services.handling import answer
from services.photo_store import MAX_PHOTO_BYTES, NOT_AN_IMAGE
from services.privacy import erase_personal_data
from tests.integration.staff_helpers import (
    KT_OFFICER,
    Sessions,
    configure_groups,
    register_default_staff,
)
from tests.integration.ticket_helpers import T0, new_ticket
from tests.integration.web_helpers import SECRET_KEY, Clock
from web.app import create_app
from web.common import SIGNED_OUT
from web.widget import (
    ADDRESS_LIMIT,
    CSRF_REFUSED,
    NOT_OUR_BUTTON,
    ORIGIN_REFUSED,
    PHOTO_TOO_LARGE,
    RATE_LIMITED,
    READ_LIMIT,
    SESSION_EXPIRED,
    SESSION_LIMIT,
    TOO_LARGE,
    RateLimiter,
)
from web.widget import (
    SESSION_HEADER as SESSION,
)

OWN = "http://testserver"
PORTAL = "https://cong-thong-tin.example"
API = "/widget/api/messages"
BUTTONS = [{"title": "Gửi", "payload": "/affirm"}, {"title": "Sửa", "payload": "/deny"}]


@dataclass
class ScriptedEngine(EngineClient):
    """Answers every message with an echo and two buttons; records what it was sent."""

    calls: list[dict[str, str]] = field(default_factory=list)
    # Answers to give first, in order, instead of the echo.
    scripted: list[list[dict[str, Any]]] = field(default_factory=list)
    # Seconds each answer takes, and the most turns it was ever asked at once.
    pause: float = 0.0
    in_flight: int = 0
    most_at_once: int = 0

    def __post_init__(self) -> None:
        super().__init__("http://127.0.0.1:9", 1.0)

    async def send(
        self, *, sender_id: str, message: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self.calls.append({"sender": sender_id, "message": message, "channel": channel})
        self.in_flight += 1
        self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            await asyncio.sleep(self.pause)
        finally:
            self.in_flight -= 1
        if self.scripted:
            return self.scripted.pop(0)
        return [{"text": f"Đã nhận: {message}", "buttons": BUTTONS}]


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine()


@pytest.fixture
def client(database_url: str, sessions: Sessions, engine: ScriptedEngine) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url, web_public_url=OWN, widget_allowed_origins=PORTAL
    )
    app = create_app(settings, secret_key=SECRET_KEY, now=Clock(T0), engine=engine)
    with TestClient(app) as client:
        yield client


def start(client: TestClient, origin: str = OWN) -> str:
    """Open the widget: the session cookie and its CSRF token."""
    response = client.get(API, headers={"Origin": origin})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf"]
    return token


def say(
    client: TestClient, csrf: str, body: dict[str, str], origin: str = OWN
) -> Any:  # the response
    return client.post(API, json=body, headers={"Origin": origin, "X-CSRF-Token": csrf})


async def count_lines(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(WebChatMessage)) or 0)


async def test_a_session_is_its_own_cookie_and_comes_back_with_its_history(
    client: TestClient, engine: ScriptedEngine, database_url: str
) -> None:
    first = client.get(API)
    assert first.status_code == 200 and first.json()["messages"] == []
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("laikhe_widget=") and "httponly" in cookie.lower()
    assert "path=/widget" in cookie.lower()
    csrf = first.json()["csrf"]
    said = say(client, csrf, {"text": "  thu tuc lam giay khai sinh 😊 "})
    assert said.status_code == 200, said.text
    lines = said.json()["messages"]
    assert [(m["from_resident"], m["text"]) for m in lines] == [
        (True, "thu tuc lam giay khai sinh 😊"),
        (False, "Đã nhận: thu tuc lam giay khai sinh 😊"),
    ]
    assert lines[1]["buttons"] == BUTTONS
    (call,) = engine.calls
    assert call["channel"] == "web" and call["sender"].startswith("web:")
    # The same device later: the same conversation; only newer messages after ?after=.
    again = client.get(API)
    assert [m["id"] for m in again.json()["messages"]] == [m["id"] for m in lines]
    assert client.get(f"{API}?after={lines[0]['id']}").json()["messages"] == lines[1:]
    # Another device knows nothing of it.
    with TestClient(client.app) as stranger:
        assert stranger.get(API).json()["messages"] == []


async def test_a_post_needs_the_session_s_csrf_token(
    client: TestClient, engine: ScriptedEngine, sessions: Sessions
) -> None:
    csrf = start(client)
    for token in ("", "x" * 64, csrf[:-1] + ("0" if csrf[-1] != "0" else "1")):
        refused = say(client, token, {"text": "xin chào"})
        assert refused.status_code == 403 and refused.json()["error"] == CSRF_REFUSED
    # Another session's token does not fit this one.
    with TestClient(client.app) as other:
        other_token = start(other)
    assert say(client, other_token, {"text": "xin chào"}).status_code == 403
    assert engine.calls == [] and await count_lines(sessions) == 0


async def test_an_unknown_or_forged_session_is_told_and_starts_afresh(
    client: TestClient, engine: ScriptedEngine
) -> None:
    csrf = start(client)
    client.cookies.clear()
    client.cookies.set("laikhe_widget", "web-session.forged.signature")
    refused = say(client, csrf, {"text": "xin chào"})
    assert refused.status_code == 401 and refused.json()["error"] == SESSION_EXPIRED
    assert engine.calls == []
    client.cookies.clear()
    fresh = client.get(API)
    assert fresh.status_code == 200 and "laikhe_widget=" in fresh.headers["set-cookie"]
    assert say(client, fresh.json()["csrf"], {"text": "xin chào"}).status_code == 200


async def test_only_allowed_origins_may_call_and_cors_names_only_them(
    client: TestClient, engine: ScriptedEngine, sessions: Sessions
) -> None:
    csrf = start(client, PORTAL)
    allowed = say(client, csrf, {"text": "giờ làm việc"}, origin=PORTAL)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    assert allowed.headers["access-control-allow-credentials"] == "true"
    lines = await count_lines(sessions)
    for origin in ("https://evil.example", "null", "https://cong-thong-tin.example.evil"):
        refused = say(client, csrf, {"text": "giờ làm việc"}, origin=origin)
        assert refused.status_code == 403 and refused.json()["error"] == ORIGIN_REFUSED
        assert "access-control-allow-origin" not in refused.headers
        assert client.get(API, headers={"Origin": origin}).status_code == 403
    # A POST without an Origin (not a browser's fetch) is refused too.
    bare = client.post(API, json={"text": "x"}, headers={"X-CSRF-Token": csrf})
    assert bare.status_code == 403
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-csrf-token"}  # fmt: skip
    ok = client.options(API, headers={"Origin": PORTAL, **preflight})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == PORTAL
    bad = client.options(API, headers={"Origin": "https://evil.example", **preflight})
    assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers
    assert len(engine.calls) == 1 and await count_lines(sessions) == lines


async def test_size_limits_and_bad_bodies_get_a_vietnamese_answer_and_keep_nothing(
    client: TestClient, engine: ScriptedEngine, sessions: Sessions
) -> None:
    csrf = start(client)
    too_long = say(client, csrf, {"text": "a" * 2001})
    assert too_long.status_code == 413 and too_long.json()["error"] == TOO_LARGE
    huge = client.post(
        API,
        content=b'{"text": "' + b"a" * 20_000 + b'"}',
        headers={"Origin": OWN, "X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["error"] == TOO_LARGE
    chunked = client.post(  # no Content-Length: the body is counted as it comes
        API,
        content=iter([b'{"text": "', b"a" * 10_000, b"a" * 10_000, b'"}']),
        headers={"Origin": OWN, "X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413 and chunked.json()["error"] == TOO_LARGE
    for body in (b"not json", b"[1, 2]", b'{"text": 5}', b"\xff\xfe"):
        bad = client.post(API, content=body, headers={"Origin": OWN, "X-CSRF-Token": csrf})
        assert bad.status_code == 400 and "gõ lại" in bad.json()["error"], body
    assert engine.calls == [] and await count_lines(sessions) == 0
    # Empty (after cleaning): the core's answer, shown and kept, the empty text is not.
    empty = say(client, csrf, {"text": " / \n "})
    assert empty.status_code == 200
    assert [(m["from_resident"], m["text"]) for m in empty.json()["messages"]] == [
        (False, EMPTY_MESSAGE)
    ]
    # 2,000 emoji are 2,000 characters: accepted.
    assert say(client, csrf, {"text": "😊" * 2000}).status_code == 200
    assert engine.calls[-1]["message"] == "😊" * 2000


async def test_a_button_payload_must_be_one_the_last_replies_offered(
    client: TestClient, engine: ScriptedEngine, sessions: Sessions
) -> None:
    csrf = start(client)
    forged = say(client, csrf, {"payload": "/affirm"})  # nothing offered yet
    assert forged.status_code == 409 and forged.json()["error"] == NOT_OUR_BUTTON
    say(client, csrf, {"text": "phản ánh đèn đường"})
    for payload in ("/request_human", '/inform{"photo": "x"}', "/affirm "):
        refused = say(client, csrf, {"payload": payload})
        assert refused.status_code == 409, payload
    pressed = say(client, csrf, {"payload": "/affirm"})
    assert pressed.status_code == 200
    assert engine.calls[-1]["message"] == "/affirm"
    assert pressed.json()["messages"][-2]["text"] == "Gửi"  # shown as the button's title
    # A typed message retires the buttons shown before it.
    say(client, csrf, {"text": "cảm ơn"})
    async with sessions() as session:
        sender = (await session.scalars(select(WebChatMessage.sender_id))).first()
    assert sender is not None
    async with unit_of_work(sessions) as session:
        offered = await web_chat.offered_buttons(session=session, sender_id=sender)
    assert [b.payload for b in offered] == ["/affirm", "/deny"]  # the newest reply's only


async def test_a_session_may_send_only_so_many_messages_a_minute(
    client: TestClient, engine: ScriptedEngine
) -> None:
    csrf = start(client)
    limit, _ = SESSION_LIMIT
    for _ in range(limit):
        assert say(client, csrf, {"text": "xin chào"}).status_code == 200
    refused = say(client, csrf, {"text": "xin chào"})
    assert refused.status_code == 429 and refused.json()["error"] == RATE_LIMITED
    assert refused.headers["retry-after"] == "60"
    assert len(engine.calls) == limit


async def test_the_limits_come_from_the_settings(
    database_url: str, sessions: Sessions, engine: ScriptedEngine
) -> None:
    """A load test from one address raises them (bench); the defaults are the constants."""
    defaults = Settings()
    assert (
        defaults.widget_session_limit_per_minute,
        defaults.widget_address_limit_per_minute,
        defaults.widget_read_limit_per_minute,
    ) == (SESSION_LIMIT[0], ADDRESS_LIMIT[0], READ_LIMIT[0])
    settings = Settings(
        database_url=database_url,
        web_public_url=OWN,
        widget_session_limit_per_minute=2,
        widget_address_limit_per_minute=4,
        widget_read_limit_per_minute=4,
    )
    app = create_app(settings, secret_key=SECRET_KEY, now=Clock(T0), engine=engine)
    with TestClient(app) as client:
        csrf = start(client)
        posts = [say(client, csrf, {"text": "xin chào"}).status_code for _ in range(3)]
        assert posts == [200, 200, 429]  # the session's 2
        client.cookies.clear()
        csrf = start(client)  # another session from the same address
        posts = [say(client, csrf, {"text": "xin chào"}).status_code for _ in range(2)]
        assert posts == [200, 429]  # the address's 4 (a refused post counts too)
        assert [client.get(API).status_code for _ in range(3)] == [200, 200, 429]  # 4 reads


async def test_fetches_are_limited_per_address(client: TestClient) -> None:
    limit, _ = READ_LIMIT
    for _ in range(limit):
        assert client.get(API).status_code == 200
    refused = client.get(API)
    assert refused.status_code == 429 and refused.json()["error"] == RATE_LIMITED


def test_the_rate_limiter_forgets_events_older_than_its_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")
    now[0] = 59.9
    assert not limiter.allow("a")
    now[0] = 60.1
    assert limiter.allow("a")


async def test_the_office_s_answer_reaches_the_widget_once(
    client: TestClient, sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    csrf = start(client)
    say(client, csrf, {"text": "wifi hỏng"})
    async with sessions() as session:
        sender = (await session.scalars(select(WebChatMessage.sender_id))).first()
    assert sender is not None and sender.startswith("web:")
    code = await new_ticket(sessions, commune, channel="web", sender_id=sender)
    async with unit_of_work(sessions) as session:
        await answer(
            session=session, telegram_user_id=KT_OFFICER, code=code, text="Đã sửa wifi.", now=T0
        )
    async with sessions() as session:
        (row,) = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "web"))
        ).all()
    assert (row.channel, row.recipient, row.status) == (
        "web",
        sender.removeprefix("web:"),
        OutboxStatus.PENDING,
    )
    seen = client.get(API).json()["messages"]
    assert "Đã sửa wifi." in seen[-1]["text"] and code in seen[-1]["text"]
    assert [b["title"] for b in seen[-1]["buttons"]] == ["Chưa được giải quyết"]
    # Fetched again, from two devices' worth of polls: still one copy, the row sent.
    again = client.get(API).json()["messages"]
    assert again == seen
    async with sessions() as session:
        sent = await session.get(OutboxMessage, row.id)
        assert sent is not None and sent.status is OutboxStatus.SENT
        copies = await session.scalar(
            select(func.count()).where(WebChatMessage.outbox_id == row.id)
        )
    assert copies == 1
    # A second delivery attempt (a racing fetch) finds nothing left to hand over.
    async with unit_of_work(sessions) as session:
        assert await web_chat.deliver_pending(session=session, sender_id=sender, now=T0) == 0
    # The answer's button is offered: pressing it goes to the engine.
    pressed = say(client, csrf, {"payload": seen[-1]["buttons"][0]["payload"]})
    assert pressed.status_code == 200


async def test_the_root_is_the_demo_page_and_staff_find_their_way_at_quan_ly(
    client: TestClient,
) -> None:
    demo = client.get("/")
    assert demo.status_code == 200
    assert '<script src="/static/widget.js" defer></script>' in demo.text
    policy = demo.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert 'href="/quan-ly"' in demo.text
    # The tag a portal pastes names the public address (WEB_PUBLIC_URL).
    assert '&lt;script src="http://testserver/static/widget.js" defer&gt;' in demo.text
    staff = client.get("/quan-ly")
    assert staff.status_code == 200 and SIGNED_OUT in staff.text
    assert "script-src" not in staff.headers["content-security-policy"]
    script = client.get("/static/widget.js")
    assert script.status_code == 200 and "innerHTML" not in script.text


async def test_erasing_a_web_resident_s_data_takes_their_outbox_rows_and_history(
    client: TestClient, sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    csrf = start(client)
    say(client, csrf, {"text": "wifi hỏng"})
    async with sessions() as session:
        sender = (await session.scalars(select(WebChatMessage.sender_id))).first()
    assert sender is not None
    code = await new_ticket(sessions, commune, channel="web", sender_id=sender)
    async with unit_of_work(sessions) as session:
        await answer(session=session, telegram_user_id=KT_OFFICER, code=code, text="Xong.", now=T0)
    client.get(API)  # delivered: the row is sent, its copy in the history
    async with unit_of_work(sessions) as session:
        report = await erase_personal_data(session=session, channel="web", sender_id=sender)
        assert await web_chat.erase(session=session, sender_id=sender) == 3
    assert report.tickets == 1
    async with sessions() as session:
        left = await session.scalar(select(func.count()).where(OutboxMessage.channel == "web"))
    assert left == 0 and await count_lines(sessions) == 0
    assert client.get(API).json()["messages"] == []


async def test_a_turn_that_erases_the_resident_s_data_sends_none_of_it_back(
    database_url: str, sessions: Sessions, engine: ScriptedEngine, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=database_url,
        web_public_url=OWN,
        tracker_store_url=f"sqlite:///{tmp_path / 'tracker.db'}",
    )
    app = create_app(settings, secret_key=SECRET_KEY, now=Clock(T0), engine=engine)
    with TestClient(app) as client:
        csrf = start(client)
        assert say(client, csrf, {"text": "wifi nhà tôi hỏng"}).status_code == 200
        engine.scripted.append(
            [{"text": "Đã xóa dữ liệu của Anh/Chị."}, {"custom": {"erase_conversation": True}}]
        )
        # Asked from the start (?after=0): the window's whole history is erased, this
        # turn's lines with it, and the answer sends none of it back.
        erased = say(client, csrf, {"text": "xóa dữ liệu của tôi"})
        assert erased.status_code == 200, erased.text
        sent_back = {m["text"] for m in erased.json()["messages"]}
        assert not sent_back & {
            "wifi nhà tôi hỏng",
            "Đã nhận: wifi nhà tôi hỏng",
            "xóa dữ liệu của tôi",
        }
        # The confirmation is shown once, and kept nowhere.
        assert erased.json()["erased"] is True
        assert erased.json()["notices"] == ["Đã xóa dữ liệu của Anh/Chị."]
        assert await count_lines(sessions) == 0
        assert client.get(API).json()["messages"] == []


async def test_a_portal_that_gets_no_cookie_sends_the_signed_session_in_a_header(
    client: TestClient, engine: ScriptedEngine
) -> None:
    opened = client.get(API, headers={"Origin": PORTAL}).json()
    signed, csrf = opened["session"], opened["csrf"]
    client.cookies.clear()  # the browser kept no third-party cookie
    headers = {"Origin": PORTAL, "X-CSRF-Token": csrf}
    said = client.post(API, json={"text": "xin chào"}, headers=headers)
    assert said.status_code == 401  # neither cookie nor header: no session
    said = client.post(API, json={"text": "xin chào"}, headers={**headers, SESSION: signed})
    assert said.status_code == 200, said.text
    client.cookies.clear()
    again = client.get(API, headers={"Origin": PORTAL, SESSION: signed}).json()
    assert [m["text"] for m in again["messages"]] == ["xin chào", "Đã nhận: xin chào"]
    # The same session: its CSRF token is derived from the session id. (The signed value
    # itself carries the time it was signed, so it differs from one second to the next.)
    assert again["csrf"] == csrf
    # A header is signed like the cookie: a changed one is no session.
    forged = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    refused = client.post(API, json={"text": "x"}, headers={**headers, SESSION: forged})
    assert refused.status_code == 401 and refused.json()["error"] == SESSION_EXPIRED
    preflight = client.options(
        API,
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-csrf-token,x-widget-session",
        },
    )
    assert preflight.status_code == 200
    assert len(engine.calls) == 1


# --- photos ------------------------------------------------------------------------

PHOTOS = "/widget/api/photos"


def _jpeg_with_gps() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (11.0, 15.0, 30.0)}
    Image.new("RGB", (30, 20), (9, 9, 9)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def photo_client(
    database_url: str, sessions: Sessions, engine: ScriptedEngine, tmp_path: Path
) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        web_public_url=OWN,
        widget_allowed_origins=PORTAL,
        photo_dir=tmp_path / "photos",
    )
    app = create_app(settings, secret_key=SECRET_KEY, now=Clock(T0), engine=engine)
    with TestClient(app) as client:
        yield client


def send_photo(client: TestClient, csrf: str, data: bytes, origin: str = PORTAL) -> Any:
    return client.post(
        PHOTOS,
        content=data,
        headers={"Origin": origin, "X-CSRF-Token": csrf, "Content-Type": "image/jpeg"},
    )


async def test_a_photo_is_stored_without_location_and_handed_to_the_engine_by_reference(
    photo_client: TestClient, engine: ScriptedEngine, tmp_path: Path, sessions: Sessions
) -> None:
    csrf = start(photo_client, PORTAL)
    sent = send_photo(photo_client, csrf, _jpeg_with_gps())
    assert sent.status_code == 200, sent.text
    [stored] = list((tmp_path / "photos").iterdir())
    assert b"Exif" not in stored.read_bytes()
    [call] = engine.calls
    assert call["message"] == f'/inform{{"photo": "stored:{stored.name}"}}'.replace(" ", "")
    said = [m for m in sent.json()["messages"] if m["from_resident"]]
    assert [m["text"] for m in said] == ["[Đã gửi 1 ảnh]"]
    # The reply (here the scripted engine's echo) comes back as for typed text.
    assert any(not m["from_resident"] for m in sent.json()["messages"])


async def test_a_photo_needs_the_origin_the_csrf_token_and_an_image_within_the_limit(
    photo_client: TestClient, engine: ScriptedEngine, tmp_path: Path
) -> None:
    csrf = start(photo_client, PORTAL)
    photo = _jpeg_with_gps()
    refused = send_photo(photo_client, csrf, photo, origin="https://elsewhere.example")
    assert refused.status_code == 403 and refused.json()["error"] == ORIGIN_REFUSED
    refused = send_photo(photo_client, "not-the-token", photo)
    assert refused.status_code == 403 and refused.json()["error"] == CSRF_REFUSED
    not_image = send_photo(photo_client, csrf, b"%PDF-1.4 a document")
    assert not_image.status_code == 415 and not_image.json()["error"] == NOT_AN_IMAGE
    too_big = send_photo(photo_client, csrf, photo + b"\x00" * MAX_PHOTO_BYTES)
    assert too_big.status_code == 413 and too_big.json()["error"] == PHOTO_TOO_LARGE
    assert engine.calls == []
    assert not (tmp_path / "photos").exists() or list((tmp_path / "photos").iterdir()) == []


def test_a_double_click_runs_the_session_turns_one_after_the_other(
    client: TestClient, engine: ScriptedEngine
) -> None:
    """Two posts of one session at once (a double click, two tabs): the second turn waits
    for the first, so the engine never holds two turns of one conversation."""
    csrf = start(client)
    engine.pause = 0.3
    with ThreadPoolExecutor(max_workers=2) as pool:
        posts = [pool.submit(say, client, csrf, {"text": text}) for text in ("một", "hai")]
        answers = [post.result() for post in posts]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert sorted(call["message"] for call in engine.calls) == ["hai", "một"]
    assert engine.most_at_once == 1
