"""Staff commands in Zalo (thin: services.handling does the work, as for Telegram's
buttons and the back office). Each command runs in its own transaction; the reply is
one or more texts for the chat the command came from."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import StaffMember
from db.session import unit_of_work
from laikhe import clock
from laikhe.chunks import split_text
from services import handling
from services.handling import ActionResult, StaffActionError
from services.outbox import MAX_ZALO_TEXT_CHARS
from services.ticket_queries import forward_targets, render_history, ticket_history
from services.tickets import TicketPolicy
from services.web_sessions import LINK_LIFETIME, SignInRefused, create_sign_in_link
from zalo.staff_commands import Command, Problem, is_outside, match_office, parse

logger = logging.getLogger(__name__)

FAILED: Final = (
    "Xin lỗi, chưa thực hiện được do lỗi hệ thống. Anh/Chị vui lòng thử lại sau ít phút."
)
PRIVATE_ONLY_VIEW: Final = "Anh/Chị nhắn riêng cho trợ lý «/xem {code}» để xem chi tiết."
PRIVATE_ONLY_SIGN_IN: Final = (
    "Đường dẫn đăng nhập chỉ gửi trong chat riêng. Anh/Chị nhắn «/dangnhap» riêng cho trợ lý."
)
PRIVATE_ONLY_ID: Final = "Anh/Chị nhắn riêng «/id» cho trợ lý."
YOUR_ID: Final = (
    "Mã người dùng Zalo của Anh/Chị: {user_id}\n"
    "Cán bộ của xã gửi mã này cho người quản trị hệ thống để được đăng ký."
)
NO_BACK_OFFICE: Final = "Trang quản lý ý kiến chưa được mở cho xã."
LINK_TEXT: Final = (
    "Đường dẫn đăng nhập trang quản lý ý kiến (dùng một lần, trong {minutes} phút):\n"
    "{url}\n\n"
    "Anh/Chị không chuyển đường dẫn này cho người khác."
)

Work = Callable[[AsyncSession, StaffMember], Awaitable[str]]


class StaffDesk:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        policy: TicketPolicy,
        web_url: str | None,
        committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._web_url = web_url
        self._committed = committed  # wakes the outbox dispatcher

    async def handle(self, user_id: str, text: str, *, private: bool) -> list[str]:
        """The replies to a staff command (None-safe: any text that reached here)."""
        parsed = parse(text)
        if parsed is None:
            return []
        if isinstance(parsed, Problem):
            return [parsed.message]
        if parsed.op == "my_id":
            # Only to the person themselves: a group would learn every member's id.
            return [YOUR_ID.format(user_id=user_id) if private and user_id else PRIVATE_ONLY_ID]
        if parsed.op == "view" and not private:
            # Details (and contacts) only in a private chat, never in a group.
            return [PRIVATE_ONLY_VIEW.format(code=parsed.code)]
        if parsed.op == "sign_in":
            # A link sent in a group would let every member sign in as this person.
            if not private:
                return [PRIVATE_ONLY_SIGN_IN]
            if self._web_url is None:
                return [NO_BACK_OFFICE]
        reply = await self._run(user_id, parsed)
        return split_text(reply, MAX_ZALO_TEXT_CHARS)

    async def _run(self, user_id: str, command: Command) -> str:
        try:
            async with unit_of_work(self._sessions) as session:
                staff = await handling.zalo_staff(
                    session=session, zalo_user_id=user_id, action=command.op
                )
                reply = await self._do(session, staff, command)
        except (StaffActionError, SignInRefused) as error:
            return error.message
        except Exception:
            logger.exception("a Zalo staff command failed")
            return FAILED
        self._committed()
        return reply

    async def _do(self, session: AsyncSession, staff: StaffMember, command: Command) -> str:
        code, text = command.code or "", command.text
        result: ActionResult
        if command.op == "sign_in":
            token = await create_sign_in_link(session=session, staff_member=staff, now=clock.now())
            minutes = int(LINK_LIFETIME.total_seconds() // 60)
            return LINK_TEXT.format(minutes=minutes, url=f"{self._web_url}/dang-nhap/{token}")
        if command.op == "view":
            await handling.check_can_act(
                session=session, staff_member=staff, code=code, action="view"
            )
            history = await ticket_history(session=session, code=code)
            if history is None:  # removed meanwhile
                return f"Không tìm thấy ý kiến có mã {code}."
            return render_history(history)
        if command.op == "take":
            result = await handling.take(session=session, staff_member=staff, code=code)
        elif command.op == "answer":
            result = await handling.answer(
                session=session, staff_member=staff, code=code, text=text
            )
        elif command.op == "reject":
            result = await handling.reject(
                session=session, staff_member=staff, code=code, reason=text
            )
        elif command.op == "close":
            result = await handling.close(session=session, staff_member=staff, code=code)
        else:
            result = await self._forward(session, staff, code, text)
        return f"Ý kiến {result.code}: {result.summary}"

    async def _forward(
        self, session: AsyncSession, staff: StaffMember, code: str, typed: str
    ) -> ActionResult:
        # Authorise first: an office list is no business of a stranger.
        await handling.check_can_act(
            session=session, staff_member=staff, code=code, action="forward"
        )
        target: str | None = None
        if not is_outside(typed):
            offices = await forward_targets(session=session, code=code)
            target = match_office(typed, offices)
            if target is None:
                listed = "\n".join(f"{office} ({name})" for office, name in offices)
                raise StaffActionError(
                    f"Không rõ đơn vị «{typed[:60]}». Anh/Chị gõ mã hoặc tên đơn vị, "
                    f"hoặc «ngoài xã»:\n{listed}"
                )
        return await handling.forward(
            session=session, policy=self._policy, staff_member=staff, code=code, office_code=target
        )
