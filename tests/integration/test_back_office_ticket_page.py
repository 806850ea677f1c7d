"""The back office's ticket page on both databases, through HTTP (Starlette's TestClient):
forwarding to another office, internal notes, the photos read from (fake) Telegram,
likely duplicates, and the due date counted in working days."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from db.models import AttachmentKind, Ticket, TicketKind, TicketState
from db.session import unit_of_work
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from laikhe.settings import Settings
from services import retention
from services.handling import NO_CLEARANCE, NOT_YOURS, add_internal_note
from services.privacy import erase_personal_data
from services.resident import add_attachment, reopen
from services.resident_errors import TooLate
from services.ticket_queries import render_history, ticket_history
from services.tickets import TicketPolicy
from testkit.telegram import TINY_PNG, FakeTelegramServer
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
from tests.integration.ticket_helpers import T0, load, move, new_ticket
from tests.integration.web_helpers import SECRET_KEY, Clock, back_office, csrf_of, sign_in
from web.app import create_app
from web.common import CSRF_REFUSED
from web.pages import PHOTOS_IN_TELEGRAM

RESIDENT = 1001
KT_CONTENT = "Wifi ở nhà văn hóa thôn Mẫu 1 bị hỏng mấy hôm nay"
COMPLAINT = "Tố cáo cán bộ thu tiền sai quy định khi làm hồ sơ"
TOKEN = "515151:PHOTO-TEST"


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


def other_client(database_url: str, clock: Clock) -> TestClient:
    return TestClient(back_office(database_url, clock))


def post(client: TestClient, path: str, page: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf": csrf_of(page), **data}, follow_redirects=False)


# --- forwarding ----------------------------------------------------------------------


async def test_a_forward_moves_the_ticket_to_the_other_office_s_queue_with_its_note(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
) -> None:
    code = await new_ticket(office_setup, commune, content=KT_CONTENT)
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{code}").text
    # The choices are the other offices (services.ticket_queries.forward_targets).
    assert '<option value="VP">' in page and '<option value="KT">' not in page
    note = "Việc này do văn phòng quản lý cổng thông tin"
    done = client.post(
        f"/y-kien/{code}/chuyen",
        data={"csrf": csrf_of(page), "don_vi": "VP", "ghi_chu": note},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/hang-doi"
    queue = client.get("/hang-doi").text
    assert f"{code}: Đã chuyển sang" in queue  # the flash
    assert f'href="/y-kien/{code}"' not in queue  # no longer in KT's queue
    assert client.get(f"/y-kien/{code}").status_code == 403

    ticket, events = await load(office_setup, code)
    assert ticket.state is TicketState.NEW and ticket.assigned_staff_id is None
    assert events[-1].note == f"Chuyển từ KT sang VP. Ghi chú: {note}"
    assert events[-1].actor == f"staff:{KT_OFFICER} Trần Văn Kinh"
    # The resident hears where it went, not the staff's note.
    [told] = await outbox_rows(office_setup, RESIDENT)
    assert code in (told.text or "") and note not in (told.text or "")

    with other_client(database_url, clock) as vp:
        await sign_in(vp, office_setup, VP_OFFICER, clock.moment)
        assert f'href="/y-kien/{code}"' in vp.get("/hang-doi").text
        history = vp.get(f"/y-kien/{code}")
        assert history.status_code == 200 and note in history.text


async def test_a_forward_is_refused_to_another_office_without_csrf_and_once_answered(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
) -> None:
    code = await new_ticket(office_setup, commune)
    with other_client(database_url, clock) as vp:
        await sign_in(vp, office_setup, VP_OFFICER, clock.moment)
        refused = post(vp, f"/y-kien/{code}/chuyen", vp.get("/hang-doi").text, don_vi="VP")
        assert refused.status_code == 403
        assert NOT_YOURS.format(code=code) in refused.text
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{code}").text
    no_token = client.post(f"/y-kien/{code}/chuyen", data={"don_vi": "VP"})
    assert no_token.status_code == 403 and CSRF_REFUSED in no_token.text
    # No office chosen: a message, nothing moves.
    unchosen = client.post(f"/y-kien/{code}/chuyen", data={"csrf": csrf_of(page), "don_vi": ""})
    assert "Anh/Chị chọn đơn vị nhận ý kiến giúp." in unchosen.text
    ticket, events = await load(office_setup, code)
    assert ticket.office_id == (await _office_id(office_setup, code)) and len(events) == 1

    answered = post(client, f"/y-kien/{code}/tra-loi", page, noi_dung="Đã sửa xong wifi.")
    assert answered.status_code == 303
    page = client.get(f"/y-kien/{code}").text
    assert f"/y-kien/{code}/chuyen" not in page  # the lifecycle allows no forward now
    late = post(client, f"/y-kien/{code}/chuyen", page, don_vi="VP")
    assert late.status_code == 303
    assert "không chuyển được" in client.get(f"/y-kien/{code}").text
    ticket, _ = await load(office_setup, code)
    assert ticket.state is TicketState.ANSWERED


async def _office_id(sessions: Sessions, code: str) -> int:
    async with sessions() as session:
        office = await session.scalar(select(Ticket.office_id).where(Ticket.code == code))
        assert office is not None
        return office


# --- internal notes ------------------------------------------------------------------


async def test_an_internal_note_is_in_the_history_for_staff_only(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
) -> None:
    code = await new_ticket(office_setup, commune, contact_phone="0912345678")
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{code}").text
    note = "Đã gọi anh An số 0912345678, hẹn thứ Sáu kiểm tra lại"
    done = post(client, f"/y-kien/{code}/ghi-chu", page, noi_dung=note)
    assert done.status_code == 303
    page = client.get(f"/y-kien/{code}").text
    history = page[page.index('id="history"') :]
    assert "Ghi chú nội bộ" in history and note in history
    ticket, events = await load(office_setup, code)
    assert ticket.state is TicketState.NEW
    assert events[-1].internal and events[-1].note == note
    assert events[-1].from_state is events[-1].to_state is TicketState.NEW
    assert not events[0].internal
    # Nothing reaches the resident.
    assert await outbox_rows(office_setup, RESIDENT) == []
    # The Telegram history (/xem) labels it too.
    async with office_setup() as session:
        found = await ticket_history(session=session, code=code)
        assert found is not None
        assert f"Ghi chú nội bộ - {note}" in render_history(found)
        assert note not in render_history(found, include_content=False)

    # Another office neither reads nor writes notes on it.
    with other_client(database_url, clock) as vp:
        await sign_in(vp, office_setup, VP_OFFICER, clock.moment)
        assert vp.get(f"/y-kien/{code}").status_code == 403
        refused = post(vp, f"/y-kien/{code}/ghi-chu", vp.get("/hang-doi").text, noi_dung="x")
        assert refused.status_code == 403
    no_token = client.post(f"/y-kien/{code}/ghi-chu", data={"noi_dung": "ghi chú giả"})
    assert no_token.status_code == 403 and CSRF_REFUSED in no_token.text
    empty = post(client, f"/y-kien/{code}/ghi-chu", page, noi_dung="  ")
    assert empty.status_code == 303
    assert "Anh/Chị nhập nội dung ghi chú giúp." in client.get(f"/y-kien/{code}").text
    assert len((await load(office_setup, code))[1]) == 2

    # A note may be added in any state, a closed ticket too.
    page = client.get(f"/y-kien/{code}").text
    post(client, f"/y-kien/{code}/dong", page)
    page = client.get(f"/y-kien/{code}").text
    assert "Xử lý</h2>" not in page and 'id="add-note"' in page
    post(client, f"/y-kien/{code}/ghi-chu", page, noi_dung="Đã lưu hồ sơ")
    ticket, events = await load(office_setup, code)
    assert ticket.state is TicketState.CLOSED and events[-1].internal

    # Erasure removes the notes' text like every other history text, and no note can
    # bring personal data back afterwards.
    async with unit_of_work(office_setup) as session:
        await erase_personal_data(session=session, channel="telegram", sender_id=str(RESIDENT))
    _, events = await load(office_setup, code)
    assert all(e.note is None for e in events if e.internal)
    page = client.get(f"/y-kien/{code}").text
    post(client, f"/y-kien/{code}/ghi-chu", page, noi_dung="Anh An gọi lại")
    assert "không thêm ghi chú được" in client.get(f"/y-kien/{code}").text
    assert "Anh An gọi lại" not in [e.note for e in (await load(office_setup, code))[1]]


async def test_notes_on_a_confidential_ticket_need_clearance(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
) -> None:
    code = await new_ticket(
        office_setup, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, content=COMPLAINT
    )
    note = "Đã chuyển hồ sơ cho thanh tra xã"
    with other_client(database_url, clock) as cleared:
        await sign_in(cleared, office_setup, KT_LEAD_CLEARED, clock.moment)
        page = cleared.get(f"/y-kien/{code}").text
        post(cleared, f"/y-kien/{code}/ghi-chu", page, noi_dung=note)
        assert note in cleared.get(f"/y-kien/{code}").text
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    shown = client.get(f"/y-kien/{code}")
    assert shown.status_code == 403 and note not in shown.text
    assert note not in client.get("/hang-doi").text
    refused = post(client, f"/y-kien/{code}/ghi-chu", client.get("/hang-doi").text, noi_dung="x")
    assert refused.status_code == 403
    assert NO_CLEARANCE.format(code=code) in refused.text
    _, events = await load(office_setup, code)
    assert [e.note for e in events if e.internal] == [note]


async def _note(sessions: Sessions, code: str, text: str, at: datetime) -> None:
    async with unit_of_work(sessions) as session:
        await add_internal_note(
            session=session, telegram_user_id=KT_OFFICER, code=code, text=text, now=at
        )


async def test_a_note_neither_keeps_a_finished_ticket_past_retention_nor_reopens_its_window(
    office_setup: Sessions, commune: CommuneConfig
) -> None:
    # Closed two years and a day before the purge, a note a month later: still purged.
    purge_at = datetime(2028, 3, 1, 3, 0, tzinfo=commune_zone())
    closed_at = purge_at - timedelta(days=2 * 366)
    code = await new_ticket(office_setup, commune, contact_name="Nguyễn Văn An")
    await move(office_setup, code, TicketState.CLOSED, closed_at)
    await _note(office_setup, code, "Anh An hỏi lại qua điện thoại", closed_at + timedelta(days=30))
    async with unit_of_work(office_setup) as session:
        # No log directory: the purge must not touch this checkout's log files.
        periods = commune.retention.model_copy(update={"log_directory": None})
        report = await retention.apply(session, purge_at, periods)
    assert report.tickets == 1
    ticket, events = await load(office_setup, code)
    assert ticket.anonymised_at is not None and ticket.contact_name is None
    assert [e.note for e in events if e.internal] == [None]

    # Answered by a path that did not stamp answered_at (the history decides): a note
    # written since does not give the resident a new 30 days to reopen it.
    policy = TicketPolicy.from_config(commune)
    unstamped = await new_ticket(office_setup, commune)
    await move(office_setup, unstamped, TicketState.ANSWERED, T0 + timedelta(days=1), stamp=False)
    await _note(office_setup, unstamped, "Chờ người gửi xác nhận", T0 + timedelta(days=20))
    async with office_setup() as session:
        with pytest.raises(TooLate):
            await reopen(
                session=session,
                policy=policy,
                code=unstamped,
                sender_id=str(RESIDENT),
                reason="chưa xong",
                now=T0 + timedelta(days=31, hours=1),
            )


# --- photos --------------------------------------------------------------------------


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    server = FakeTelegramServer(TOKEN).start()
    yield server
    server.stop()


def photo_client(database_url: str, clock: Clock, server: FakeTelegramServer) -> TestClient:
    settings = Settings(
        database_url=database_url,
        telegram_bot_token=server.token,
        telegram_api_base_url=server.base_url,
        telegram_file_base_url=server.base_file_url,
    )
    return TestClient(create_app(settings, secret_key=SECRET_KEY, now=clock))


async def _attach(sessions: Sessions, code: str, file_id: str, kind: AttachmentKind) -> None:
    async with unit_of_work(sessions) as session:
        await add_attachment(
            session=session,
            code=code,
            sender_id=str(RESIDENT),
            telegram_file_id=file_id,
            kind=kind,
            now=T0,
        )


def _file_id(update: dict[str, object]) -> str:
    message = update["message"]
    assert isinstance(message, dict)
    return str(message["photo"][-1]["file_id"])


async def test_photos_are_served_from_telegram_to_staff_who_may_read_the_ticket(
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
    telegram: FakeTelegramServer,
) -> None:
    code = await new_ticket(office_setup, commune)
    photo = _file_id(telegram.send_photo(RESIDENT, user_id=RESIDENT))
    await _attach(office_setup, code, photo, AttachmentKind.PHOTO)
    with photo_client(database_url, clock, telegram) as client:
        await sign_in(client, office_setup, KT_OFFICER, clock.moment)
        page = client.get(f"/y-kien/{code}").text
        assert f'<img src="/y-kien/{code}/anh/1"' in page
        assert photo not in page and TOKEN not in page and TOKEN.split(":")[1] not in page
        served = client.get(f"/y-kien/{code}/anh/1")
        assert served.status_code == 200 and served.content == TINY_PNG
        assert served.headers["content-type"] == "image/png"
        assert served.headers["cache-control"] == "private, no-store"
        assert "content-disposition" not in served.headers
        [asked] = telegram.requests("getFile")
        assert asked.params["file_id"] == photo
        assert [r.status for r in telegram.requests("downloadFile")] == [200]
        assert client.get(f"/y-kien/{code}/anh/2").status_code == 404
        assert client.get(f"/y-kien/{code}/anh/0").status_code == 404

    with photo_client(database_url, clock, telegram) as vp:
        await sign_in(vp, office_setup, VP_OFFICER, clock.moment)
        refused = vp.get(f"/y-kien/{code}/anh/1")
        assert refused.status_code == 403 and NOT_YOURS.format(code=code) in refused.text
    with photo_client(database_url, clock, telegram) as signed_out:
        assert signed_out.get(f"/y-kien/{code}/anh/1").status_code == 401
    assert len(telegram.requests("getFile")) == 1  # refusals never reach Telegram


async def test_a_confidential_ticket_s_photo_needs_clearance_and_a_file_is_a_download(
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
    telegram: FakeTelegramServer,
) -> None:
    code = await new_ticket(
        office_setup, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, content=COMPLAINT
    )
    photo = _file_id(telegram.send_photo(RESIDENT, user_id=RESIDENT))
    await _attach(office_setup, code, photo, AttachmentKind.PHOTO)
    with photo_client(database_url, clock, telegram) as client:
        await sign_in(client, office_setup, KT_OFFICER, clock.moment)
        refused = client.get(f"/y-kien/{code}/anh/1")
        assert refused.status_code == 403 and NO_CLEARANCE.format(code=code) in refused.text
        assert TINY_PNG not in refused.content
    assert telegram.requests("getFile") == []
    with photo_client(database_url, clock, telegram) as cleared:
        await sign_in(cleared, office_setup, KT_LEAD_CLEARED, clock.moment)
        assert cleared.get(f"/y-kien/{code}/anh/1").content == TINY_PNG

    # A file that is not an image the browser may show is only ever downloaded.
    other = await new_ticket(office_setup, commune)
    with telegram._lock:  # the user side has no document upload; register one directly
        document = telegram._new_file(
            "document", b"<html><script>alert(1)</script>", mime_type="text/html"
        )
    await _attach(office_setup, other, document.file_id, AttachmentKind.DOCUMENT)
    with photo_client(database_url, clock, telegram) as client:
        await sign_in(client, office_setup, KT_OFFICER, clock.moment)
        page = client.get(f"/y-kien/{other}").text
        assert "Tệp 1 (tải về)" in page and "<img" not in page
        served = client.get(f"/y-kien/{other}/anh/1")
        assert served.status_code == 200
        assert served.headers["content-type"] == "application/octet-stream"
        assert served.headers["content-disposition"].startswith("attachment")

        # A file Telegram no longer has: a message, no trace of the id or the token.
        await _attach(office_setup, other, "gone-file-id", AttachmentKind.PHOTO)
        gone = client.get(f"/y-kien/{other}/anh/2")
        assert gone.status_code == 502 and "Chưa lấy được ảnh" in gone.text
        assert "gone-file-id" not in gone.text and TOKEN not in gone.text


async def test_without_a_bot_token_the_page_points_to_the_office_s_group(
    client: TestClient, office_setup: Sessions, clock: Clock, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune)
    await _attach(office_setup, code, "some-file-id", AttachmentKind.PHOTO)
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{code}").text
    assert PHOTOS_IN_TELEGRAM in page and "<img" not in page and "some-file-id" not in page
    served = client.get(f"/y-kien/{code}/anh/1")
    assert served.status_code == 404 and PHOTOS_IN_TELEGRAM in served.text


# --- likely duplicates ---------------------------------------------------------------

PARAPHRASE = "nha van hoa thon mau 1 mat wifi may hom nay roi"


async def test_earlier_tickets_about_the_same_problem_are_offered_for_marking(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
) -> None:
    earlier = await new_ticket(office_setup, commune, content=KT_CONTENT)
    moved = await new_ticket(
        office_setup, commune, at=T0 + timedelta(minutes=5), content=KT_CONTENT
    )
    unrelated = await new_ticket(
        office_setup, commune, at=T0 + timedelta(minutes=10), content="Đèn đường ngõ 5 bị hỏng"
    )
    later = await new_ticket(
        office_setup, commune, at=T0 + timedelta(minutes=30), content=PARAPHRASE
    )
    # One of the look-alikes went to another office: KT staff may not see it any more.
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{moved}").text
    post(client, f"/y-kien/{moved}/chuyen", page, don_vi="VP")

    page = client.get(f"/y-kien/{later}").text
    listed = page[
        page.index('id="duplicates"') : page.index("</ul>", page.index('id="duplicates"'))
    ]
    assert f'href="/y-kien/{earlier}"' in listed
    assert moved not in listed and unrelated not in listed
    assert 'id="original" name="ma_goc" placeholder="LK-2026-000001" value=""' in page
    # The earlier ticket's page lists nothing: only earlier tickets are originals.
    assert 'id="duplicates"' not in client.get(f"/y-kien/{earlier}").text

    with other_client(database_url, clock) as leader:
        await sign_in(leader, office_setup, LEADER, clock.moment)
        seen = leader.get(f"/y-kien/{later}").text
        assert moved in seen and earlier in seen  # the leader oversees both offices

    chosen = client.get(f"/y-kien/{later}", params={"ma_goc": earlier}).text
    assert f'name="ma_goc" placeholder="LK-2026-000001" value="{earlier}"' in chosen
    # Only a listed ticket prefills the form.
    other = client.get(f"/y-kien/{later}", params={"ma_goc": moved}).text
    assert f'value="{moved}"' not in other
    post(client, f"/y-kien/{later}/trung", chosen, ma_goc=earlier)
    ticket, _ = await load(office_setup, later)
    assert ticket.state is TicketState.DUPLICATE
    assert 'id="duplicates"' not in client.get(f"/y-kien/{later}").text


async def test_a_confidential_ticket_has_no_duplicates_listed_nor_is_one(
    client: TestClient, office_setup: Sessions, clock: Clock, commune: CommuneConfig
) -> None:
    complaint = await new_ticket(
        office_setup, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, content=KT_CONTENT
    )
    public = await new_ticket(
        office_setup, commune, at=T0 + timedelta(minutes=5), content=KT_CONTENT
    )
    later = await new_ticket(
        office_setup,
        commune,
        kind=TicketKind.KHIEU_NAI_TO_CAO,
        at=T0 + timedelta(minutes=30),
        content=PARAPHRASE,
    )
    newest = await new_ticket(
        office_setup, commune, at=T0 + timedelta(minutes=40), content=PARAPHRASE
    )
    await sign_in(client, office_setup, KT_LEAD_CLEARED, clock.moment)
    # A complaint is never merged (mark_duplicate refuses): nothing is offered on it.
    assert 'id="duplicates"' not in client.get(f"/y-kien/{later}").text
    page = client.get(f"/y-kien/{newest}").text
    listed = page[
        page.index('id="duplicates"') : page.index("</ul>", page.index('id="duplicates"'))
    ]
    assert public in listed and complaint not in listed and later not in listed


# --- due date in working days --------------------------------------------------------


def _due(page: str) -> str:
    found = re.search(r'<dd id="due">([^<]*)', page)
    assert found is not None
    return found.group(1)


async def test_the_due_date_counts_working_days_across_tet(
    client: TestClient, office_setup: Sessions, clock: Clock, commune: CommuneConfig
) -> None:
    # Received Monday 02/02/2026: ten working days end on 23/02, after the Tết week.
    code = await new_ticket(office_setup, commune)
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    assert _due(client.get(f"/y-kien/{code}").text) == "23/02/2026 (còn 10 ngày làm việc)"
    # Friday 13/02: ten calendar days left, one working day (Monday 23/02).
    clock.moment = datetime(2026, 2, 13, 9, 0, tzinfo=commune_zone())
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    assert _due(client.get(f"/y-kien/{code}").text) == "23/02/2026 (còn 1 ngày làm việc)"
    clock.moment = datetime(2026, 2, 23, 9, 0, tzinfo=commune_zone())
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    assert _due(client.get(f"/y-kien/{code}").text) == "23/02/2026 (hạn cuối là hôm nay)"
    clock.moment = datetime(2026, 2, 26, 9, 0, tzinfo=commune_zone())
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = client.get(f"/y-kien/{code}").text
    assert _due(page) == "23/02/2026 (quá hạn 3 ngày làm việc) "
    assert 'class="tag late">quá hạn' in page
    # Answered: the due date no longer runs.
    post(client, f"/y-kien/{code}/tra-loi", page, noi_dung="Đã sửa xong.")
    assert _due(client.get(f"/y-kien/{code}").text) == "23/02/2026"
