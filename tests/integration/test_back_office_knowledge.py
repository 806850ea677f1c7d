"""The back office's knowledge pages on both databases, through HTTP (Starlette's
TestClient): an office's saved answers (CRUD, office isolation, CSRF, filling the
ticket's answer form), FAQ proposals and their review by a leader (masked contact
details, the YAML for the maintainer), and the grouped unanswered questions."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from starlette.testclient import TestClient

from db.models import FaqProposal, ProposalStatus, SavedAnswer, TicketKind
from db.session import unit_of_work
from laikhe.commune import CommuneConfig
from services import faq_proposals, saved_answers
from services.answer_log import record_unanswered_question
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
from tests.integration.test_admin_cli import admin
from tests.integration.ticket_helpers import T0, new_ticket
from tests.integration.web_helpers import Clock, back_office, csrf_of, sign_in
from web.common import CSRF_REFUSED, SIGNED_OUT

WIFI_ANSWER = "Xã đã cử kỹ thuật viên sửa wifi nhà văn hóa, Anh/Chị kiểm tra lại giúp."
HOURS_ANSWER = "Bộ phận một cửa làm việc từ thứ Hai đến thứ Sáu, sáng 7h30, chiều 13h30."


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


def _add(client: TestClient, title: str, text: str) -> str:
    page = client.get("/mau-tra-loi")
    response = client.post(
        "/mau-tra-loi", data={"csrf": csrf_of(page.text), "tieu_de": title, "noi_dung": text}
    )
    assert response.status_code == 200, response.text
    return response.text


async def _saved(sessions: Sessions) -> list[SavedAnswer]:
    async with sessions() as session:
        return list(await session.scalars(select(SavedAnswer).order_by(SavedAnswer.id)))


async def test_an_office_keeps_its_saved_answers_and_no_other_office_sees_them(
    client: TestClient, office_setup: Sessions, clock: Clock, database_url: str
) -> None:
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    page = _add(client, "Sửa wifi", WIFI_ANSWER)
    assert "Đã thêm mẫu trả lời «Sửa wifi»." in page and WIFI_ANSWER in page
    [saved] = await _saved(office_setup)

    # Edit, then a refused edit keeps the stored text, with a clear message.
    csrf = csrf_of(page)
    edited = client.post(
        f"/mau-tra-loi/{saved.id}/sua",
        data={"csrf": csrf, "tieu_de": "Wifi đã sửa", "noi_dung": WIFI_ANSWER + " Cảm ơn."},
    )
    assert "Đã lưu mẫu trả lời «Wifi đã sửa»." in edited.text
    short = client.post(
        f"/mau-tra-loi/{saved.id}/sua", data={"csrf": csrf, "tieu_de": "W", "noi_dung": "ngắn"}
    )
    assert short.status_code == 400 and saved_answers.TITLE_LENGTH in short.text
    [kept] = await _saved(office_setup)
    assert (kept.title, kept.text) == ("Wifi đã sửa", WIFI_ANSWER + " Cảm ơn.")
    too_short = client.post(
        "/mau-tra-loi", data={"csrf": csrf, "tieu_de": "Ngắn quá", "noi_dung": "Đã xong"}
    )
    assert too_short.status_code == 400 and saved_answers.TEXT_LENGTH in too_short.text
    assert "Ngắn quá" in too_short.text  # what was typed comes back in the form

    # Another office: not listed, cannot edit nor delete it (not found), cannot pick it.
    with TestClient(back_office(database_url, clock)) as other:
        await sign_in(other, office_setup, VP_OFFICER, clock.moment)
        theirs = other.get("/mau-tra-loi")
        assert "Wifi đã sửa" not in theirs.text and "chưa có mẫu trả lời" in theirs.text
        for action, data in (("sua", {"tieu_de": "Của tôi", "noi_dung": "x" * 20}), ("xoa", {})):
            refused = other.post(
                f"/mau-tra-loi/{saved.id}/{action}", data={"csrf": csrf_of(theirs.text), **data}
            )
            assert refused.status_code == 404 and saved_answers.NOT_FOUND in refused.text
        borrowed = other.get("/de-xuat-faq/moi", params={"mau": saved.id})
        assert borrowed.status_code == 403 and "Wifi" not in borrowed.text
        # A commune leader has no office, hence no saved answers.
    with TestClient(back_office(database_url, clock)) as leader:
        await sign_in(leader, office_setup, LEADER, clock.moment)
        assert saved_answers.NO_OFFICE in leader.get("/mau-tra-loi").text
    [kept] = await _saved(office_setup)
    assert kept.title == "Wifi đã sửa"

    # The office lead of the same office sees and deletes it.
    with TestClient(back_office(database_url, clock)) as lead:
        await sign_in(lead, office_setup, KT_LEAD_CLEARED, clock.moment)
        listing = lead.get("/mau-tra-loi")
        assert "Wifi đã sửa" in listing.text
        deleted = lead.post(f"/mau-tra-loi/{saved.id}/xoa", data={"csrf": csrf_of(listing.text)})
        assert "Đã xóa mẫu trả lời «Wifi đã sửa»." in deleted.text
    assert await _saved(office_setup) == []


async def test_saved_answer_forms_without_the_csrf_token_are_refused(
    client: TestClient, office_setup: Sessions, clock: Clock
) -> None:
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    _add(client, "Sửa wifi", WIFI_ANSWER)
    [saved] = await _saved(office_setup)
    for path, data in (
        ("/mau-tra-loi", {"tieu_de": "Giờ làm việc", "noi_dung": HOURS_ANSWER}),
        (f"/mau-tra-loi/{saved.id}/sua", {"tieu_de": "Đổi", "noi_dung": HOURS_ANSWER}),
        (f"/mau-tra-loi/{saved.id}/xoa", {}),
        ("/de-xuat-faq", {"cau_hoi": "Giờ làm việc của xã?", "tra_loi": HOURS_ANSWER}),
        ("/de-xuat-faq/1/duyet", {"quyet_dinh": "chap_nhan"}),
    ):
        for csrf in ({}, {"csrf": "forged"}):
            refused = client.post(path, data={**data, **csrf})
            assert refused.status_code == 403 and CSRF_REFUSED in refused.text, path
    [kept] = await _saved(office_setup)
    assert kept.title == "Sửa wifi"
    async with office_setup() as session:
        assert await session.scalar(select(func.count(FaqProposal.id))) == 0
    client.cookies.clear()
    assert client.get("/mau-tra-loi").status_code == 401
    assert SIGNED_OUT in client.get("/cau-hoi-chua-tra-loi").text


async def test_picking_a_saved_answer_fills_the_answer_box_to_edit_before_sending(
    client: TestClient, office_setup: Sessions, clock: Clock, commune: CommuneConfig
) -> None:
    code = await new_ticket(office_setup, commune)
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    _add(client, "Sửa wifi", WIFI_ANSWER)
    _add(client, "Giờ làm việc", HOURS_ANSWER)
    saved = {s.title: s.id for s in await _saved(office_setup)}
    page = client.get(f"/y-kien/{code}")
    assert 'id="pick-saved"' in page.text and "Giờ làm việc" in page.text
    assert WIFI_ANSWER not in page.text  # nothing filled until one is picked
    picked = client.get(f"/y-kien/{code}", params={"mau": saved["Sửa wifi"]})
    assert f"required>{WIFI_ANSWER}</textarea>" in picked.text
    assert f'value="{saved["Sửa wifi"]}" selected' in picked.text
    # Edited before sending: the resident gets the edited text.
    sent = WIFI_ANSWER.replace("Anh/Chị", "Anh Nam")
    client.post(f"/y-kien/{code}/tra-loi", data={"csrf": csrf_of(picked.text), "noi_dung": sent})
    [row] = await outbox_rows(office_setup, 1001)
    assert sent in (row.text or "")

    # A saved answer starts a FAQ proposal, its contact details masked.
    client.post(
        f"/mau-tra-loi/{saved['Giờ làm việc']}/sua",
        data={
            "csrf": csrf_of(picked.text),
            "tieu_de": "Giờ làm việc",
            "noi_dung": f"{HOURS_ANSWER} Gọi 0241 234 5678.",
        },
    )
    draft = client.get("/de-xuat-faq/moi", params={"mau": saved["Giờ làm việc"]})
    assert f"{HOURS_ANSWER} Gọi [đã ẩn].</textarea>" in draft.text

    # Another office's id or nonsense fills nothing.
    other_code = await new_ticket(office_setup, commune)
    for value in ("999999", "abc"):
        page = client.get(f"/y-kien/{other_code}", params={"mau": value})
        assert page.status_code == 200 and "required></textarea>" in page.text


async def test_a_proposal_is_masked_reviewed_by_a_leader_and_shown_as_yaml(
    client: TestClient,
    office_setup: Sessions,
    clock: Clock,
    commune: CommuneConfig,
    database_url: str,
    tmp_path: Path,
) -> None:
    code = await new_ticket(
        office_setup, commune, content="Wifi nhà văn hóa hỏng, gọi tôi 0912 345 678 nhé"
    )
    await sign_in(client, office_setup, KT_OFFICER, clock.moment)
    ticket_page = client.get(f"/y-kien/{code}")
    assert 'id="propose-faq"' not in ticket_page.text  # nothing answered yet
    client.post(
        f"/y-kien/{code}/tra-loi",
        data={
            "csrf": csrf_of(ticket_page.text),
            "noi_dung": f"{WIFI_ANSWER}\nCần thêm, Anh/Chị email kythuat.xa@gmail.com.",
        },
    )
    assert 'id="propose-faq"' in client.get(f"/y-kien/{code}").text
    form = client.get("/de-xuat-faq/moi", params={"y_kien": code})
    assert form.status_code == 200 and 'id="privacy-warning"' in form.text
    assert "0912 345 678" not in form.text and "kythuat.xa@gmail.com" not in form.text
    assert "[đã ẩn]" in form.text and WIFI_ANSWER in form.text

    # Typed back with contact details anyway: stored masked, and the member is told.
    done = client.post(
        "/de-xuat-faq",
        data={
            "csrf": csrf_of(form.text),
            "cau_hoi": "Wifi nhà văn hóa hỏng thì báo ai? (0987654321)",
            "tra_loi": f"{WIFI_ANSWER}\nLiên hệ anh Minh: 0912.345.678, minh@gmail.com",
        },
    )
    assert done.status_code == 200 and faq_proposals.MASKED in done.text
    async with office_setup() as session:
        [proposal] = list(await session.scalars(select(FaqProposal)))
    for secret in ("0987654321", "0912.345.678", "minh@gmail.com"):
        assert secret not in proposal.question + proposal.answer
    assert proposal.status is ProposalStatus.PROPOSED and proposal.office_id is not None
    # Refusals: too long for a phone screen; no review form for an officer, and a
    # forged review post is refused.
    long = client.post(
        "/de-xuat-faq",
        data={"csrf": csrf_of(form.text), "cau_hoi": "Câu hỏi dài?", "tra_loi": "x" * 901},
    )
    assert long.status_code == 400 and faq_proposals.ANSWER_LENGTH in long.text
    listing = client.get("/de-xuat-faq")
    assert (
        "Wifi nhà văn hóa hỏng thì báo ai?" in listing.text
        and "Chấp nhận</button>" not in listing.text
    )
    refused = client.post(
        f"/de-xuat-faq/{proposal.id}/duyet",
        data={"csrf": csrf_of(listing.text), "quyet_dinh": "chap_nhan"},
    )
    assert refused.status_code == 403 and faq_proposals.ONLY_LEADERS in refused.text

    # Another office's officer does not see it; an office lead cannot review either.
    with TestClient(back_office(database_url, clock)) as other:
        await sign_in(other, office_setup, VP_OFFICER, clock.moment)
        assert "Wifi nhà văn hóa" not in other.get("/de-xuat-faq").text
        assert other.get("/de-xuat-faq/moi", params={"y_kien": code}).status_code == 403

    with TestClient(back_office(database_url, clock)) as leader:
        await sign_in(leader, office_setup, LEADER, clock.moment)
        listing = leader.get("/de-xuat-faq")
        assert "Chấp nhận</button>" in listing.text and 'id="accepted-yaml"' not in listing.text
        csrf = csrf_of(listing.text)
        no_note = leader.post(
            f"/de-xuat-faq/{proposal.id}/duyet", data={"csrf": csrf, "quyet_dinh": "tu_choi"}
        )
        assert faq_proposals.NOTE_NEEDED in no_note.text
        accepted = leader.post(
            f"/de-xuat-faq/{proposal.id}/duyet",
            data={"csrf": csrf, "quyet_dinh": "chap_nhan", "ghi_chu": "Nội dung đúng"},
        )
        assert f"Đề xuất số {proposal.id}: đã chấp nhận." in accepted.text
        assert "không</strong> thay đổi câu trả lời của trợ lý ngay" in accepted.text
        again = leader.post(
            f"/de-xuat-faq/{proposal.id}/duyet", data={"csrf": csrf, "quyet_dinh": "tu_choi"}
        )
        assert faq_proposals.ALREADY_REVIEWED in again.text

    async with office_setup() as session:
        reviewed = await session.get(FaqProposal, proposal.id)
        assert reviewed is not None and reviewed.status is ProposalStatus.ACCEPTED
        assert reviewed.review_note == "Nội dung đúng" and reviewed.reviewed_by_id is not None
        fragments = faq_proposals.accepted_yaml([reviewed])
    assert fragments in html.unescape(accepted.text)  # shown as is, to copy
    # The same fragments from the admin CLI, for a maintainer without a browser.
    exported = tmp_path / "faq.yml"
    assert admin(database_url, "faq", "export", "--out", str(exported)).returncode == 0
    assert exported.read_text(encoding="utf-8") == fragments
    nlu, responses = fragments.split("# nlu/faq_responses.yml")
    [intent] = yaml.safe_load(nlu)
    assert intent["intent"] == f"faq/de_xuat_{proposal.id}"
    assert intent["examples"] == f"- {reviewed.question}\n"
    loaded = yaml.safe_load("responses:\n" + responses.split("\n", 1)[1])
    assert loaded["responses"][f"utter_faq/de_xuat_{proposal.id}"] == [
        {"text": reviewed.answer + "\n"}
    ]


async def test_a_confidential_ticket_is_never_proposed(
    client: TestClient, office_setup: Sessions, clock: Clock, commune: CommuneConfig
) -> None:
    code = await new_ticket(
        office_setup, commune, kind=TicketKind.KHIEU_NAI_TO_CAO, content="Tố cáo cán bộ"
    )
    await sign_in(client, office_setup, KT_LEAD_CLEARED, clock.moment)
    page = client.get("/de-xuat-faq/moi", params={"y_kien": code})
    assert page.status_code == 403
    assert faq_proposals.CONFIDENTIAL.format(code=code) in page.text
    assert "Tố cáo cán bộ" not in page.text


QUESTIONS = [
    ("mất mạng ở nhà văn hóa", 1),
    ("mat mang o nha van hoa", 2),
    ("Nhà văn hóa bị mất mạng à?", 3),
    ("làm sao đăng ký tài khoản VNeID", 4),
    ("lam sao dk tk vneid, sdt em 0912345678", 5),
    ("tiêm phòng dại cho chó ở đâu", 6),
    ("Thôn Mẫu 1 có bán vé xổ số không", 40),  # older than 30 days
]


async def test_unanswered_questions_are_grouped_masked_and_filtered_by_period(
    client: TestClient, office_setup: Sessions, clock: Clock
) -> None:
    async with unit_of_work(office_setup) as session:
        for text, days_ago in QUESTIONS:
            await record_unanswered_question(
                session=session,
                text=text,
                channel="telegram",
                at=clock.moment - timedelta(days=days_ago),
            )
    await sign_in(client, office_setup, VP_OFFICER, clock.moment)  # any office
    page = client.get("/cau-hoi-chua-tra-loi").text
    assert "6 câu hỏi, 3 nhóm" in page
    rows = page.split('id="groups"')[1].split("<tr>")[2:]
    assert "<td>3</td>" in rows[0] and "mất mạng" in rows[0].lower()
    assert "<td>2</td>" in rows[1] and "VNeID" in rows[1]
    assert "<td>1</td>" in rows[2] and "tiêm phòng dại" in rows[2]
    assert "0912345678" not in page and "xổ số" not in page
    everything = client.get("/cau-hoi-chua-tra-loi", params={"ky": ""}).text
    assert "7 câu hỏi, 4 nhóm" in everything and "xổ số" in everything
    week = client.get("/cau-hoi-chua-tra-loi", params={"ky": "7"}).text
    assert "6 câu hỏi" in week
    odd = client.get("/cau-hoi-chua-tra-loi", params={"ky": "1000"})  # unknown: the default
    assert odd.status_code == 200 and "6 câu hỏi, 3 nhóm" in odd.text
