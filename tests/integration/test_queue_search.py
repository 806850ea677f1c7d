"""The back office queue's filters, orders and search on both databases: village and due
filters, the three orders, search in content and staff answers with or without
diacritics, never a confidential ticket's text for an uncleared member, never another
office's tickets, and nothing left to find after erasure."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from alembic import command
from httpx import Response
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload
from starlette.testclient import TestClient

from db.models import StaffMember, Ticket, TicketKind
from db.session import unit_of_work
from laikhe.commune import CommuneConfig
from services import handling
from services.privacy import erase_personal_data
from services.ticket_queries import (
    QUEUE_PAGE_SIZE,
    QueueFilter,
    TicketFilter,
    search_tickets,
    staff_queue,
)
from tests.integration.staff_helpers import (
    KT_LEAD_CLEARED,
    KT_OFFICER,
    LEADER,
    VP_OFFICER,
    Sessions,
    configure_groups,
    register_default_staff,
)
from tests.integration.test_migrations import _alembic
from tests.integration.ticket_helpers import T0, load, new_ticket
from tests.integration.web_helpers import Clock, back_office, csrf_of, sign_in

TODAY = T0.date()
BEFORE_SEARCH_TEXT = "d9f1b3c5e7a2"
OUTAGE = "Mất mạng cáp quang ở xóm Đình từ tối qua, cả xóm không vào được Internet"
SLOW = "Wifi nhà văn hoá mau bị chậm buổi tối"
COMPLAINT = "Tố cáo cán bộ địa chính nhận hối lộ khi làm hồ sơ đất"
VP_CONTENT = "Cổng dịch vụ công không mở được trên điện thoại"
ANSWER = "Nhà mạng đã thay bộ chia quang, đường truyền ổn định lại"


async def _member(session: object, telegram_user_id: int) -> StaffMember:
    member = await session.scalar(  # type: ignore[attr-defined]
        select(StaffMember)
        .options(selectinload(StaffMember.office))
        .where(StaffMember.telegram_user_id == telegram_user_id)
    )
    assert isinstance(member, StaffMember)
    return member


@pytest.fixture
async def tickets(sessions: Sessions, commune: CommuneConfig) -> dict[str, str]:
    """Four KT tickets (one confidential), one VP ticket; one KT ticket answered."""
    await configure_groups(sessions)
    await register_default_staff(sessions)
    codes = {
        "outage": await new_ticket(
            sessions, commune, content=OUTAGE, village_code="THON-MAU-2", sender_id="2001"
        ),
        "slow": await new_ticket(
            sessions, commune, content=SLOW, at=T0 + timedelta(days=1), sender_id="2002"
        ),
        "complaint": await new_ticket(
            sessions,
            commune,
            kind=TicketKind.KHIEU_NAI_TO_CAO,
            content=COMPLAINT,
            at=T0 + timedelta(days=2),
            sender_id="2003",
        ),
        "vp": await new_ticket(
            sessions,
            commune,
            content=VP_CONTENT,
            category_code="dich_vu_cong",
            at=T0 + timedelta(days=3),
            sender_id="2004",
        ),
        "answered": await new_ticket(
            sessions,
            commune,
            content="Sóng điện thoại yếu ở cuối thôn",
            at=T0 + timedelta(days=4),
            sender_id="2005",
        ),
    }
    async with unit_of_work(sessions) as session:
        await handling.answer(
            session=session,
            telegram_user_id=KT_OFFICER,
            code=codes["answered"],
            text=ANSWER,
            now=T0 + timedelta(days=5),
        )
    return codes


async def _found(
    sessions: Sessions, member: int, where: QueueFilter, today: date = TODAY
) -> list[str]:
    async with sessions() as session:
        staff = await _member(session, member)
        page = await staff_queue(session=session, staff=staff, where=where, today=today)
        assert page.total == len(page.tickets)  # all on one page here
        return [t.code for t in page.tickets]


async def test_search_finds_content_and_answers_with_or_without_diacritics(
    sessions: Sessions, tickets: dict[str, str]
) -> None:
    for query in ("mat mang", "MẤT MẠNG", "mất mạng", "xom dinh", "Xóm Đình"):
        assert await _found(sessions, KT_OFFICER, QueueFilter(text=query)) == [tickets["outage"]]
    # A typed diacritic finds the text written without: "Mẫu" finds "mau".
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="Mẫu")) == [tickets["slow"]]
    # The words as a phrase, starting at a word: not scattered, not inside a word.
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="internet mat")) == []
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="at mang")) == []
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="cap qua")) == [tickets["outage"]]
    # The staff answer is searched too.
    for query in ("bo chia quang", "bộ chia quang"):
        assert await _found(sessions, KT_OFFICER, QueueFilter(text=query)) == [tickets["answered"]]
    # A ticket code finds its ticket; LIKE wildcards are plain characters.
    assert await _found(sessions, KT_OFFICER, QueueFilter(text=tickets["slow"])) == [
        tickets["slow"]
    ]
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="%")) == []
    # Punctuation separates words as a space does.
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="mat_mang")) == [tickets["outage"]]
    # The search combines with the other filters.
    assert (
        await _found(sessions, KT_OFFICER, QueueFilter(text="mat mang", state_group="da_tra_loi"))
        == []
    )


async def test_no_oracle_on_confidential_text_and_no_other_office(
    sessions: Sessions, tickets: dict[str, str]
) -> None:
    # The uncleared KT officer sees the complaint listed, but cannot find it by its words.
    assert tickets["complaint"] in await _found(sessions, KT_OFFICER, QueueFilter())
    for query in ("hoi lo", "Tố cáo", "dia chinh"):
        assert await _found(sessions, KT_OFFICER, QueueFilter(text=query)) == []
        assert await _found(sessions, LEADER, QueueFilter(text=query)) == []  # uncleared too
    assert await _found(sessions, KT_LEAD_CLEARED, QueueFilter(text="hoi lo")) == [
        tickets["complaint"]
    ]
    # The code is no secret: it lists the ticket (its content stays hidden on the page).
    assert await _found(sessions, KT_OFFICER, QueueFilter(text=tickets["complaint"])) == [
        tickets["complaint"]
    ]
    # Another office's ticket is not found, by words or by code; the leader finds it.
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="cong dich vu")) == []
    assert await _found(sessions, KT_OFFICER, QueueFilter(text=tickets["vp"])) == []
    assert await _found(sessions, VP_OFFICER, QueueFilter(text="mat mang")) == []
    assert await _found(sessions, LEADER, QueueFilter(text="cong dich vu")) == [tickets["vp"]]
    # The command-line search reads the same column and skips confidential text too.
    async with sessions() as session:
        assert [
            t.code
            for t in await search_tickets(session=session, where=TicketFilter(text="mat mang"))
        ] == [tickets["outage"]]
        assert await search_tickets(session=session, where=TicketFilter(text="hoi lo")) == []


async def test_village_due_and_orders(sessions: Sessions, tickets: dict[str, str]) -> None:
    kt = [tickets[k] for k in ("outage", "slow", "complaint", "answered")]
    assert await _found(sessions, LEADER, QueueFilter(village_code="THON-MAU-2")) == [
        tickets["outage"]
    ]
    assert await _found(sessions, LEADER, QueueFilter(village_code="NO-SUCH")) == []
    assert await _found(sessions, KT_OFFICER, QueueFilter(order="moi_nhat")) == kt[::-1]
    assert await _found(sessions, KT_OFFICER, QueueFilter(order="cu_nhat")) == kt
    # Due soonest: ten working days for each, twenty for the complaint.
    assert await _found(sessions, KT_OFFICER, QueueFilter(order="han_som")) == [
        tickets["outage"],
        tickets["slow"],
        tickets["answered"],
        tickets["complaint"],
    ]
    outage, _ = await load(sessions, tickets["outage"])
    slow, _ = await load(sessions, tickets["slow"])
    # Due today: only the open ticket whose due date it is; within 3 days: the next too.
    due = outage.due_date
    assert await _found(sessions, KT_OFFICER, QueueFilter(due_within=0), today=due) == [
        tickets["outage"]
    ]
    assert await _found(
        sessions, KT_OFFICER, QueueFilter(due_within=3, order="han_som"), today=due
    ) == [tickets["outage"], tickets["slow"]]
    # An answered ticket is no longer due, and a past due date is overdue, not due.
    assert tickets["answered"] not in await _found(
        sessions, KT_OFFICER, QueueFilter(due_within=7), today=due + timedelta(days=5)
    )
    assert await _found(sessions, KT_OFFICER, QueueFilter(due_within=0), today=slow.due_date) == [
        tickets["slow"]
    ]


async def test_erasure_leaves_nothing_to_find(sessions: Sessions, tickets: dict[str, str]) -> None:
    async with unit_of_work(sessions) as session:
        await erase_personal_data(session=session, channel="telegram", sender_id="2005")
    ticket, _ = await load(sessions, tickets["answered"])
    assert ticket.search_text is None
    assert await _found(sessions, KT_LEAD_CLEARED, QueueFilter(text="bo chia quang")) == []
    assert await _found(sessions, KT_LEAD_CLEARED, QueueFilter(text="song dien thoai")) == []


@pytest.fixture
def client(database_url: str, tickets: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(back_office(database_url, Clock(T0 + timedelta(days=6)))) as client:
        yield client


async def test_the_queue_page_searches_filters_and_ignores_what_is_not_allowed(
    client: TestClient, sessions: Sessions, tickets: dict[str, str]
) -> None:
    await sign_in(client, sessions, KT_OFFICER, T0 + timedelta(days=6))
    csrf = csrf_of(client.get("/hang-doi").text)

    def search(words: str, **form: str) -> Response:
        return client.post("/hang-doi/tim", data={"csrf": csrf, "tim": words, **form})

    # The words go in a form post, not in the URL: they may be a name or a phone.
    page = search("mat mang", thon="THON-MAU-2", evil="x")
    assert page.status_code == 200 and "mat" not in str(page.url)
    assert str(page.url).endswith("/hang-doi?thon=THON-MAU-2")  # the filters it carried
    assert tickets["outage"] in page.text and tickets["slow"] not in page.text
    assert "1 ý kiến" in page.text and "Đang tìm: «mat mang»" in page.text
    # The search stays for the session's queue pages, with other filters, until cleared.
    again = client.get("/hang-doi", params={"sap_xep": "cu_nhat"})
    assert tickets["outage"] in again.text and tickets["slow"] not in again.text
    cleared = search("mat mang", bo_tim="1")
    assert tickets["slow"] in cleared.text and "Đang tìm" not in cleared.text
    # The complaint's code lists it, without its content; its words find nothing.
    page = search(tickets["complaint"])
    assert tickets["complaint"] in page.text and "hối lộ" not in page.text
    page = search("hoi lo")
    assert tickets["complaint"] not in page.text and "Không có ý kiến nào" in page.text
    assert search("   ").status_code == 200 and "Đang tìm" not in search("").text
    long = search("x" * 5000)
    assert long.status_code == 200 and "x" * 201 not in long.text
    refused = client.post("/hang-doi/tim", data={"csrf": "forged", "tim": "mat mang"})
    assert refused.status_code == 403
    search("")
    page = client.get("/hang-doi", params={"thon": "THON-MAU-2", "sap_xep": "cu_nhat"})
    assert tickets["outage"] in page.text and tickets["slow"] not in page.text
    assert '<option value="cu_nhat" selected>' in page.text
    # Unknown orders, due windows and page numbers fall back; nothing fails.
    for params in (
        {"sap_xep": "content; drop table tickets"},
        {"han": "999"},
        {"han": "-1"},
        {"trang": "9" * 40},
        {"tim": "mat mang"},  # a search in the URL is not read
    ):
        response = client.get("/hang-doi", params=params)
        assert response.status_code == 200 and tickets["slow"] in response.text, params
    newest = client.get("/hang-doi", params={"sap_xep": "content"}).text
    assert newest.index(tickets["answered"]) < newest.index(tickets["outage"])


async def test_the_migration_fills_the_search_text_as_the_services_write_it(
    database_url: str, sessions: Sessions, tickets: dict[str, str]
) -> None:
    async with sessions() as session:
        written = dict((await session.execute(select(Ticket.code, Ticket.search_text))).all())
    await sessions.kw["bind"].dispose()
    config = _alembic(database_url)
    await asyncio.to_thread(command.downgrade, config, BEFORE_SEARCH_TEXT)
    await asyncio.to_thread(command.upgrade, config, "head")
    async with sessions() as session:
        filled = dict((await session.execute(select(Ticket.code, Ticket.search_text))).all())
    assert filled == written and len(filled) == 5
    if database_url.startswith("postgresql"):
        async with sessions() as session:
            trigram = await session.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                {"name": "ix_tickets_search_text_trgm"},
            )
        assert trigram is not None and "gin_trgm_ops" in trigram
    assert "bo chia quang" in filled[tickets["answered"]]
    assert await _found(sessions, KT_OFFICER, QueueFilter(text="Mất mạng")) == [tickets["outage"]]


async def test_search_results_page_and_count_like_the_queue(
    sessions: Sessions, commune: CommuneConfig
) -> None:
    await configure_groups(sessions)
    await register_default_staff(sessions)
    codes = [
        await new_ticket(
            sessions,
            commune,
            content=f"Mất mạng lần {i}",
            at=T0 + timedelta(minutes=i),
            sender_id=str(3000 + i),
        )
        for i in range(QUEUE_PAGE_SIZE + 3)
    ]
    await new_ticket(sessions, commune, content="Sóng yếu", sender_id="3999")
    async with sessions() as session:
        staff = await _member(session, KT_OFFICER)

        async def page(number: int, order: str = "moi_nhat") -> tuple[list[str], int, int, int]:
            found = await staff_queue(
                session=session,
                staff=staff,
                where=QueueFilter(text="mat mang", page=number, order=order),
                today=TODAY,
            )
            return [t.code for t in found.tickets], found.total, found.page, found.pages

        newest = codes[::-1]
        assert await page(1) == (newest[:QUEUE_PAGE_SIZE], len(codes), 1, 2)
        assert await page(2) == (newest[QUEUE_PAGE_SIZE:], len(codes), 2, 2)
        assert await page(9) == (newest[QUEUE_PAGE_SIZE:], len(codes), 2, 2)  # the last
        assert (await page(2, "cu_nhat"))[0] == codes[QUEUE_PAGE_SIZE:]
        assert await page(1) != await page(1, "cu_nhat")
