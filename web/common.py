"""What every staff page shares: rendering a template or a message, the signed-in
staff member read again from the session on each request, the CSRF check, and how a
time is shown. The pages (web/pages.py, dashboard.py, knowledge.py) call these."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from db.models import StaffMember
from laikhe import clock
from services.web_sessions import WebSession, staff_of_session
from web.context import web

SIGNED_OUT: Final = (
    "Anh/Chị chưa đăng nhập hoặc phiên làm việc đã hết hạn. Anh/Chị nhắn «/dangnhap» cho "
    "trợ lý trong chat riêng (Telegram hoặc Zalo) để nhận đường dẫn đăng nhập mới."
)
CSRF_REFUSED: Final = "Biểu mẫu đã hết hiệu lực. Anh/Chị tải lại trang rồi thao tác lại giúp."


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    values = {"flash": request.session.pop("flash", None), "csrf": request.session.get("csrf")}
    values.update(context)
    return web(request).templates.TemplateResponse(
        request, template, values, status_code=status_code
    )


def message(
    request: Request, text: str, status_code: int, staff: StaffMember | None = None
) -> Response:
    return render(request, "message.html", {"message": text, "staff": staff}, status_code)


def _web_session(request: Request) -> WebSession | None:
    data = request.session
    try:
        return WebSession(
            staff_id=int(data["staff"]),
            version=int(data["v"]),
            opened_at=datetime.fromisoformat(str(data["at"])),
        )
    except (KeyError, TypeError, ValueError):
        return None


async def current_staff(request: Request, session: AsyncSession) -> StaffMember | None:
    found = _web_session(request)
    staff = (
        await staff_of_session(session=session, web_session=found, now=web(request).now())
        if found is not None
        else None
    )
    if staff is None and request.session:
        request.session.clear()
    return staff


def csrf_ok(request: Request, sent: object) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    )


def local_time(moment: datetime) -> str:
    return f"{clock.to_local(moment):%d/%m/%Y %H:%M}"
