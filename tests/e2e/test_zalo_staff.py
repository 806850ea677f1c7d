"""Staff on Zalo, end to end: the real `python -m zalo` against the fake Zalo Bot API, on
SQLite and PostgreSQL, without the engine. A ticket reaches the office's Zalo group as a
card; an officer takes and answers it by commands in the group; the answer reaches the
resident's Zalo chat once; an officer of another office and a stranger are refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from db.models import Office, StaffMember
from db.session import sessionmaker_for, unit_of_work
from services.handling import NOT_STAFF, NOT_YOURS
from testkit.zalo import FakeZaloServer
from tests.e2e.test_staff_flow import create_ticket, prepared_db  # noqa: F401 - a fixture
from tests.e2e.test_zalo_delivery import ZaloProcess, history, zalo  # noqa: F401 - fixtures
from tests.integration.staff_helpers import KT_OFFICER, VP_OFFICER

pytestmark = pytest.mark.e2e
GROUP = "g-kinh-te"
RESIDENT = "r-9f8e7d"
KT_ZALO = "u-kt-officer"
VP_ZALO = "u-vp-officer"
STRANGER = "u-stranger"


@pytest.fixture
def zalo_office_db(prepared_db: str) -> str:  # noqa: F811 - the fixture imported above
    """KT keeps its group on Zalo; two officers are known by their Zalo ids."""

    async def run() -> None:
        factory = sessionmaker_for(prepared_db)
        try:
            async with unit_of_work(factory) as session:
                await session.execute(
                    update(Office)
                    .where(Office.code == "KT")
                    .values(staff_chat_id=None, zalo_group_id=GROUP)
                )
                for telegram_id, zalo_id in ((KT_OFFICER, KT_ZALO), (VP_OFFICER, VP_ZALO)):
                    await session.execute(
                        update(StaffMember)
                        .where(StaffMember.telegram_user_id == telegram_id)
                        .values(zalo_user_id=zalo_id)
                    )
        finally:
            await factory.kw["bind"].dispose()

    asyncio.run(run())
    return prepared_db


@pytest.fixture
def polling(
    zalo_office_db: str,
    zalo: FakeZaloServer,  # noqa: F811
    tmp_path: Path,
) -> Iterator[ZaloProcess]:
    process = ZaloProcess(zalo_office_db, zalo, tmp_path / "zalo.log")
    process.start()
    zalo.wait_for_calls("getUpdates", timeout=120)
    yield process
    process.stop()
    log = process.log.read_text(encoding="utf-8")
    assert "Traceback" not in log
    # Refusals are logged by pseudonym, never by the Zalo user id.
    assert STRANGER not in log and VP_ZALO not in log


def test_an_officer_takes_and_answers_in_the_zalo_group(
    polling: ZaloProcess,
    zalo: FakeZaloServer,  # noqa: F811
    zalo_office_db: str,
) -> None:
    code = create_ticket(
        zalo_office_db,
        channel="zalo",
        sender_id=f"zalo:{RESIDENT}",
        content="Đèn đường thôn Mẫu 1 hỏng",
    )
    _, card = zalo.wait_for_text(GROUP, f"Ý kiến mới: {code}", timeout=60)
    assert "Đèn đường thôn Mẫu 1 hỏng" in card
    assert f"/nhan {code}" in card and f"/traloi {code}" in card

    # Group chatter is no command: not answered.
    zalo.say_in_group(GROUP, KT_ZALO, "mọi người xem giúp ý kiến này")
    # An officer of another office, and a stranger, are refused.
    zalo.say_in_group(GROUP, VP_ZALO, f"/nhan {code}")
    zalo.wait_for_text(GROUP, NOT_YOURS.format(code=code), timeout=30)
    zalo.say(STRANGER, f"/traloi {code} Tôi trả lời thay")
    zalo.wait_for_text(STRANGER, NOT_STAFF, timeout=30)

    zalo.say_in_group(GROUP, KT_ZALO, f"/nhan {code}")
    zalo.wait_for_text(GROUP, f"Ý kiến {code}: Đã nhận xử lý: Trần Văn Kinh", timeout=30)
    zalo.wait_for_text(RESIDENT, "đã được Phòng Kinh tế tiếp nhận", timeout=30)
    zalo.say_in_group(GROUP, KT_ZALO, f"/traloi {code} Đã thay bóng đèn mới.")
    zalo.wait_for_text(GROUP, f"Ý kiến {code}: Đã trả lời: Trần Văn Kinh", timeout=30)
    zalo.wait_for_text(RESIDENT, "Chưa được giải quyết", timeout=30)
    time.sleep(1.5)  # a duplicate would have been sent by now (0.2 s polls)

    answers = [t for t in zalo.texts(RESIDENT) if "Đã thay bóng đèn mới." in t]
    assert len(answers) == 1 and answers[0].startswith(
        f"📩 Trả lời của Phòng Kinh tế về ý kiến {code}"
    )
    # The stranger got the refusal only: no engine turn (it is down in this test, and
    # would have answered that the assistant is busy).
    assert zalo.texts(STRANGER) == [NOT_STAFF]
    group_texts = zalo.texts(GROUP)
    assert len(group_texts) == 4  # the card, the refusal, taken, answered
    notes = history(zalo_office_db, code)
    assert "Nhận xử lý: Trần Văn Kinh" in notes and "Trả lời: Đã thay bóng đèn mới." in notes
    assert not any("Tôi trả lời thay" in note for note in notes)
