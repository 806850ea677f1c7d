"""/baocao: staff ask for the six-monthly report in their office group (thin handler)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from telegram import Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.sender import send_text
from db.session import unit_of_work
from laikhe import clock
from laikhe.logsafe import pseudonym
from reports.periods import PeriodError, parse_iso_date, requested_period
from reports.service import build_report
from services.report_requests import decide_report_scope

logger = logging.getLogger(__name__)

USAGE = "Cú pháp: /baocao (kỳ hiện tại) hoặc /baocao 2026-06-16 2026-12-15."
FAILED = "Xin lỗi, chưa lập được báo cáo do lỗi hệ thống. Anh/Chị vui lòng thử lại sau ít phút."


async def on_report_request(update: Update, context: BotContext) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    staff_context = context.staff
    args = context.args or []
    try:
        if len(args) not in (0, 2):
            raise PeriodError(USAGE)
        dates = [parse_iso_date(a) for a in args]
        period = requested_period(
            dates[0] if dates else None,
            dates[1] if dates else None,
            today=clock.now().date(),
        )
    except PeriodError as error:
        await send_text(
            message.get_bot(),
            message.chat_id,
            f"{error}\n{USAGE}" if str(error) != USAGE else USAGE,
        )
        return
    async with unit_of_work(staff_context.sessions) as session:
        decision = await decide_report_scope(
            session=session,
            commune=staff_context.commune,
            telegram_user_id=user.id,
            chat_id=chat.id,
            private_chat=chat.type == ChatType.PRIVATE,
        )
    if not decision.allowed:
        logger.warning("report refused: user %s in chat %s", pseudonym(user.id), pseudonym(chat.id))
        await send_text(message.get_bot(), message.chat_id, decision.refusal or FAILED)
        return
    scope = f"của {decision.office_code}" if decision.office_code else "toàn xã"
    await send_text(
        message.get_bot(),
        message.chat_id,
        f"Đang lập báo cáo {scope} {period.label}, xin chờ giây lát...",
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with unit_of_work(staff_context.sessions) as session:
                files = await build_report(
                    session=session,
                    commune=staff_context.commune,
                    start=period.start,
                    end=period.end,
                    office_code=decision.office_code,
                    out_dir=Path(tmp),
                )
            for path in (files.docx, files.xlsx):
                with path.open("rb") as handle:
                    await context.bot.send_document(chat.id, handle, filename=path.name)
    except Exception:
        # Whatever failed, staff get a clear sentence, never a stack trace.
        logger.exception("report failed for chat %s", pseudonym(chat.id))
        await send_text(message.get_bot(), message.chat_id, FAILED)
