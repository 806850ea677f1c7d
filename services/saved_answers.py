"""Saved answers: reusable answer texts each office keeps for its staff.

Every read and write is scoped to the member's own office (a saved answer of another
office is "not found", never shown); staff without an office (commune leaders) have
none. Flushes only; the caller's unit of work commits."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SavedAnswer, StaffMember
from laikhe.vntext import nfc

TITLE_MIN, TITLE_MAX = 3, 120
# The ticket page's answer box takes 3000 characters; a saved answer must fit in it.
TEXT_MIN, TEXT_MAX = 10, 3000
MAX_PER_OFFICE: Final = 200

NO_OFFICE: Final = (
    "Mẫu trả lời thuộc từng đơn vị; tài khoản của Anh/Chị không thuộc đơn vị nào nên "
    "không có mẫu trả lời."
)
NOT_FOUND: Final = "Không tìm thấy mẫu trả lời này trong đơn vị của Anh/Chị."
TITLE_LENGTH: Final = f"Tiêu đề cần từ {TITLE_MIN} đến {TITLE_MAX} ký tự. Anh/Chị nhập lại giúp."
TEXT_LENGTH: Final = (
    f"Nội dung trả lời cần từ {TEXT_MIN} đến {TEXT_MAX} ký tự. Anh/Chị nhập lại giúp."
)
TOO_MANY: Final = (
    f"Đơn vị đã có {MAX_PER_OFFICE} mẫu trả lời. Anh/Chị xóa bớt mẫu không dùng rồi thêm mới."
)


class SavedAnswerError(Exception):
    """A refusal with a message for the staff member (Vietnamese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _office_of(staff: StaffMember) -> int:
    if staff.office_id is None:
        raise SavedAnswerError(NO_OFFICE)
    return staff.office_id


def _clean(title: str, text: str) -> tuple[str, str]:
    """Title on one line; the text keeps its line breaks (it is sent as typed)."""
    title = " ".join(nfc(title).split())
    text = nfc(text).replace("\r\n", "\n").strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise SavedAnswerError(TITLE_LENGTH)
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        raise SavedAnswerError(TEXT_LENGTH)
    return title, text


async def list_saved_answers(*, session: AsyncSession, staff: StaffMember) -> list[SavedAnswer]:
    """The office's saved answers by title; none for staff without an office."""
    if staff.office_id is None:
        return []
    rows = await session.scalars(
        select(SavedAnswer)
        .where(SavedAnswer.office_id == staff.office_id)
        .order_by(SavedAnswer.title, SavedAnswer.id)
    )
    return list(rows)


async def get_saved_answer(
    *, session: AsyncSession, staff: StaffMember, answer_id: int
) -> SavedAnswer:
    found = await session.scalar(
        select(SavedAnswer).where(
            SavedAnswer.id == answer_id, SavedAnswer.office_id == _office_of(staff)
        )
    )
    if found is None:
        raise SavedAnswerError(NOT_FOUND)
    return found


async def add_saved_answer(
    *, session: AsyncSession, staff: StaffMember, title: str, text: str, now: datetime
) -> SavedAnswer:
    office_id = _office_of(staff)
    title, text = _clean(title, text)
    if len(await list_saved_answers(session=session, staff=staff)) >= MAX_PER_OFFICE:
        raise SavedAnswerError(TOO_MANY)
    saved = SavedAnswer(
        office_id=office_id,
        title=title,
        text=text,
        created_by_id=staff.id,
        created_at=now,
        updated_at=now,
    )
    session.add(saved)
    await session.flush()
    return saved


async def edit_saved_answer(
    *,
    session: AsyncSession,
    staff: StaffMember,
    answer_id: int,
    title: str,
    text: str,
    now: datetime,
) -> SavedAnswer:
    saved = await get_saved_answer(session=session, staff=staff, answer_id=answer_id)
    saved.title, saved.text = _clean(title, text)
    saved.updated_at = now
    await session.flush()
    return saved


async def delete_saved_answer(*, session: AsyncSession, staff: StaffMember, answer_id: int) -> str:
    """Deletes it; returns its title for the confirmation."""
    saved = await get_saved_answer(session=session, staff=staff, answer_id=answer_id)
    await session.delete(saved)
    await session.flush()
    return saved.title
