"""The web back office on both databases, through HTTP (Starlette's TestClient): sign-in
by a one-time link, who sees which tickets, confidential content, CSRF, and an answer
that reaches the resident's outbox row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from db.models import StaffMember, TicketKind, TicketState, WebSignInLink
from db.session import unit_of_work
from laikhe.commune import CommuneConfig
from services.handling import NO_CLEARANCE, NOT_YOURS
from services.staff import remove_staff
from services.web_sessions import LINKS_PER_HOUR, SignInRefused, sign_out_everywhere
from tests.integration.staff_helpers import (
    KT_LEAD_CLEARED,
    KT_OFFICER,
    LEADER,
    VP_OFFICER,
    Sessions,
    configure_groups,
    outbox_rows,
    register_default_staff,
)
from tests.integration.ticket_helpers import T0, load, new_ticket
from tests.integration.web_helpers import Clock, back_office, csrf_of, sign_in, sign_in_token
from web.common import CSRF_REFUSED, SIGNED_OUT
from web.pages import LINK_INVALID

RESIDENT = 1001
KT_CONTENT = "Wifi ở nhà văn hóa thôn Mẫu 1 bị hỏng mấy hôm nay"
VP_CONTENT = "Cổng dịch vụ công của xã không mở được trên điện thoại"
COMPLAINT = "Tố cáo cán bộ thu tiền sai quy định khi làm hồ sơ"


@pytest.fixture
async def office_setup(sessions: Sessions) -> Sessions:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    return sessions


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(hours=1))


@pytest.fixture
def client(database_url: str, office_setup: Sessions, clock: Clock) -> Iterator[TestClient]:
    with TestClient(back_office(database_url, clock)) as client:
        yield client


async def test_a_sign_in_link_opens_one_session_once_and_only_for_ten_minutes(
    client: TestClient, office_setup: Sessions, clock: Clock, database_url: str
) -> None:
    assert client.get("/hang-doi").status_code == 401
    token = await sign_in_token(office_setup, KT_OFFICER, clock.moment)
    # Opening the link (or a link preview fetching it) only shows the button.
    page = client.get(f"/dang-nhap/{token}")
    assert page.status_code == 200 and "Đăng nhập" in page.text
    assert client.get("/hang-doi").status_code == 401
    signed_in = client.post(f"/dang-nhap/{token}", follow_redirects=False)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "Max-Age=32400" in cookie  # a working day: 9 hours
    queue = client.get("/hang-doi")
    assert queue.status_code == 200 and "Trần Văn Kinh" in queue.text

    # Single use: a second browser gets nothing from the same link.
    with TestClient(back_office(database_url, clock)) as other:
        again = other.post(f"/dang-nhap/{token}", follow_redirects=False)
        assert again.status_code == 400 and LINK_INVALID in again.text
        assert other.get("/hang-doi").status_code == 401
        # Expired after ten minutes.
        late = await sign_in_token(office_setup, KT_OFFICER, clock.moment)
        clock.moment += timedelta(minutes=10, seconds=1)
        refused = other.post(f"/dang-nhap/{late}", follow_redirects=False)
        assert refused.status_code == 400 and LINK_INVALID in refused.text
        assert other.get("/hang-doi").status_code == 401

    # The first session lasts a working day, not longer.
    clock.moment = T0 + timedelta(hours=1) + timedelta(hours=8, minutes=59)
    assert client.get("/hang-doi").status_code == 200
    clock.moment += timedelta(minutes=2)
    expired = client.get("/hang-doi")
    assert expired.status_code == 401 and SIGNED_OUT in expired.text


async def test_signout_all_ends_every_session_and_links_are_rate_limited(
    client: TestClient, office_setup: Sessions, clock: Clock
) -> None:
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    assert client.get("/hang-doi").status_code == 200
    unused = await sign_in_token(office_setup, KT_OFFICER, clock.moment)
    async with unit_of_work(office_setup) as session:
        assert await sign_out_everywhere(session=session, telegram_user_id=KT_OFFICER)
    assert client.get("/hang-doi").status_code == 401
    # A link asked for before the sign-out does not open a new session either.
    assert client.post(f"/dang-nhap/{unused}", follow_redirects=False).status_code == 400

    # Five links an hour per member (two made above); the sixth is refused.
    for _ in range(LINKS_PER_HOUR - 2):
        await sign_in_token(office_setup, KT_OFFICER, clock.moment)
    with pytest.raises(SignInRefused):
        await sign_in_token(office_setup, KT_OFFICER, clock.moment)
    # Another member is not affected; an hour later the first may ask again.
    await sign_in_token(office_setup, VP_OFFICER, clock.moment)
    await sign_in_token(office_setup, KT_OFFICER, clock.moment + timedelta(hours=1))
    # Links past the rate window are deleted when the member asks for a new one.
    async with office_setup() as session:
        kept = await session.scalars(
            select(WebSignInLink.created_at)
            .join(StaffMember, StaffMember.id == WebSignInLink.staff_id)
            .where(StaffMember.telegram_user_id == KT_OFFICER)
        )
        assert list(kept) == [clock.moment + timedelta(hours=1)]


async def test_removing_a_member_ends_their_session(
    client: TestClient, office_setup: Sessions, clock: Clock
) -> None:
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/hang-doi"
    async with unit_of_work(office_setup) as session:
        assert await remove_staff(session=session, telegram_user_id=KT_OFFICER)
    assert client.get("/hang-doi").status_code == 401
    signed_out = client.get("/quan-ly", follow_redirects=False)
    assert signed_out.status_code == 200 and SIGNED_OUT in signed_out.text


async def test_the_queue_shows_the_office_s_tickets_and_leaders_see_every_office(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
) -> None:
    kt = await new_ticket(office_setup, commune, content=KT_CONTENT)
    vp = await new_ticket(office_setup, commune, content=VP_CONTENT, category_code="dich_vu_cong")
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    queue = client.get("/hang-doi").text
    assert kt in queue and KT_CONTENT in queue
    assert vp not in queue and VP_CONTENT not in queue
    # Filters: the lifecycle's groups, "assigned to me".
    assert kt in client.get("/hang-doi", params={"trang_thai": "dang_xu_ly"}).text
    assert kt not in client.get("/hang-doi", params={"trang_thai": "da_xong"}).text
    assert kt not in client.get("/hang-doi", params={"cua_toi": "1"}).text

    with TestClient(back_office(database_url, clock)) as leader:
        await sign_in(leader, office_setup, LEADER, clock.moment)
        queue = leader.get("/hang-doi").text
        assert kt in queue and vp in queue
        assert queue.index(vp) < queue.index(kt)  # newest first


async def test_a_member_of_another_office_gets_a_refusal_page(
    client: TestClient, office_setup: Sessions, clock: Clock, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune, content=KT_CONTENT, contact_phone="0912345678")
    await sign_in(client, office_setup, VP_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{code}")
    assert page.status_code == 403
    assert NOT_YOURS.format(code=code) in page.text
    assert KT_CONTENT not in page.text and "0912345678" not in page.text
    # Nor can they act on it by posting the form.
    answer = client.post(
        f"/y-kien/{code}/tra-loi",
        data={"csrf": csrf_of(client.get("/hang-doi").text), "noi_dung": "Đã sửa"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and NOT_YOURS.format(code=code) in answer.text
    ticket, _ = await load(office_setup, code)
    assert ticket.state is TicketState.NEW
    assert await outbox_rows(office_setup, RESIDENT) == []


async def test_confidential_content_is_hidden_from_uncleared_staff(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
) -> None:
    code = await new_ticket(
        office_setup,
        commune,
        kind=TicketKind.KHIEU_NAI_TO_CAO,
        content=COMPLAINT,
        contact_name="Nguyễn Văn An",
        contact_phone="0912345678",
    )
    ticket, _ = await load(office_setup, code)
    assert ticket.confidential
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    queue = client.get("/hang-doi").text
    assert code in queue and "(Nội dung bảo mật)" in queue and COMPLAINT not in queue
    page = client.get(f"/y-kien/{code}")
    assert page.status_code == 403 and NO_CLEARANCE.format(code=code) in page.text
    assert COMPLAINT not in page.text and "0912345678" not in page.text

    with TestClient(back_office(database_url, clock)) as cleared:
        await sign_in(cleared, office_setup, KT_LEAD_CLEARED, clock.moment)
        assert COMPLAINT in cleared.get("/hang-doi").text
        page = cleared.get(f"/y-kien/{code}")
        assert page.status_code == 200
        assert COMPLAINT in page.text and "0912345678" in page.text


async def test_an_uncleared_member_sees_the_contact_masked(
    client: TestClient, office_setup: Sessions, clock: Clock, commune: CommuneConfig
) -> None:
    code = await new_ticket(
        office_setup, commune, contact_name="Nguyễn Văn An", contact_phone="0912345678"
    )
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{code}").text
    assert KT_CONTENT in page
    assert "09******78" in page and "0912345678" not in page and "Nguyễn Văn An" not in page


async def test_a_form_without_the_session_s_csrf_token_is_refused(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
) -> None:
    code = await new_ticket(office_setup, commune)
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    for data in ({"noi_dung": "Đã sửa"}, {"noi_dung": "Đã sửa", "csrf": "forged"}):
        refused = client.post(f"/y-kien/{code}/tra-loi", data=data, follow_redirects=False)
        assert refused.status_code == 403 and CSRF_REFUSED in refused.text
    # A token from another session is no better.
    with TestClient(back_office(database_url, clock)) as other:
        await sign_in(other, office_setup, KT_LEAD_CLEARED, clock.moment)
        theirs = csrf_of(other.get("/hang-doi").text)
    refused = client.post(f"/y-kien/{code}/tra-loi", data={"noi_dung": "Đã sửa", "csrf": theirs})
    assert refused.status_code == 403
    ticket, events = await load(office_setup, code)
    assert ticket.state is TicketState.NEW and len(events) == 1
    assert await outbox_rows(office_setup, RESIDENT) == []


async def test_an_answer_through_the_web_reaches_the_resident_s_outbox_row(
    client: TestClient, office_setup: Sessions, clock: Clock, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune)
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{code}")
    assert page.status_code == 200 and "Gửi trả lời" in page.text
    answer = "Xã đã cử kỹ thuật viên sửa wifi, Anh/Chị kiểm tra lại giúp."
    done = client.post(
        f"/y-kien/{code}/tra-loi", data={"csrf": csrf_of(page.text), "noi_dung": answer}
    )
    assert done.status_code == 200 and str(done.url).endswith(f"/y-kien/{code}")
    assert f"{code}: Đã trả lời: Trần Văn Kinh" in done.text  # the flash message
    assert f"Trả lời: {answer}" in done.text  # the history line
    assert "Người gửi" in done.text and "resident:telegram" not in done.text  # who submitted
    [row] = await outbox_rows(office_setup, RESIDENT)
    assert row.purpose == "answer" and row.status == "pending"
    assert answer in (row.text or "") and code in (row.text or "")
    ticket, events = await load(office_setup, code)
    assert ticket.state is TicketState.ANSWERED
    assert events[-1].actor == f"staff:{KT_OFFICER} Trần Văn Kinh"

    # A refusal of the state (answered: no second answer form) comes back as a message.
    again = client.post(
        f"/y-kien/{code}/tra-loi", data={"csrf": csrf_of(done.text), "noi_dung": answer}
    )
    assert again.status_code == 200 and "không trả lời được" in again.text
    assert len(await outbox_rows(office_setup, RESIDENT)) == 1


async def test_every_page_carries_the_security_headers_and_pages_are_not_cached(
    client: TestClient, office_setup: Sessions, clock: Clock
) -> None:
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    for path in ("/", "/hang-doi", "/y-kien/LK-2026-999999", "/static/style.css"):
        response = client.get(path)
        headers = response.headers
        assert headers["content-security-policy"].startswith("default-src 'none'"), path
        assert "script-src" not in headers["content-security-policy"]  # no scripts at all
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        if path.startswith("/static/"):
            assert "cache-control" not in headers
        else:
            assert headers["cache-control"] == "no-store", path
    missing = client.get("/y-kien/LK-2026-999999")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.text
