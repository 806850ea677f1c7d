"""The back office pages: thin handlers that find the signed-in staff member, call one
service (services/web_sessions, ticket_queries, handling) and render a template.

A session cookie (signed by Starlette's SessionMiddleware) holds the staff member's id,
their web_session_version, when it was opened and a CSRF token; the member is read
again on every request (services.web_sessions.staff_of_session), so a removal or a
`staff signout-all` ends the session at once. Every form carries the CSRF token."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from db.models import AttachmentKind, StaffMember, Ticket, TicketKind
from db.session import unit_of_work
from laikhe import clock
from laikhe.contact import mask_contact
from laikhe.labels import KIND_LABELS, STATE_LABELS, format_date
from services import handling
from services.access import can_read_ticket
from services.handling import ActionResult, Refused, StaffActionError
from services.lifecycle import Step, overdue
from services.photo_store import content_type_of
from services.telegram_files import FileUnavailable
from services.ticket_page import DueCount, attachment_ref, read_ticket_page
from services.ticket_queries import (
    DEFAULT_ORDER,
    DUE_WITHIN_DAYS,
    INTERNAL_NOTE_LABEL,
    QUEUE_ORDERS,
    STATE_GROUPS,
    QueueFilter,
    filter_categories,
    filter_villages,
    staff_queue,
)
from services.web_sessions import redeem_sign_in_link
from web.answer_picker import answer_form_extras
from web.common import CSRF_REFUSED, SIGNED_OUT, csrf_ok, current_staff, local_time, message, render
from web.context import WebContext, web

logger = logging.getLogger(__name__)

LINK_INVALID: Final = (
    "Đường dẫn đăng nhập này đã được dùng hoặc đã hết hạn (mỗi đường dẫn dùng một lần, "
    "trong 10 phút). Anh/Chị nhắn «/dangnhap» cho trợ lý để nhận đường dẫn mới."
)
NOT_FOUND: Final = "Không tìm thấy trang hoặc ý kiến Anh/Chị cần."
SERVER_ERROR: Final = "Xin lỗi, đã có lỗi hệ thống. Anh/Chị vui lòng thử lại sau ít phút."
CONFIDENTIAL_HIDDEN: Final = "(Nội dung bảo mật)"
STATE_GROUP_LABELS: Final = {
    "dang_xu_ly": "Đang xử lý",
    "da_tra_loi": "Đã trả lời",
    "da_xong": "Đã xong",
}
PHOTOS_IN_TELEGRAM: Final = (
    "Trang này chưa được kết nối với Telegram; Anh/Chị xem ảnh, tệp trong nhóm Telegram của đơn vị."
)
STORED_PHOTO_MISSING: Final = (
    "Không tìm thấy ảnh này trên máy chủ (có thể đã được xóa theo quy định lưu trữ)."
)
FILE_UNAVAILABLE: Final = (
    "Chưa lấy được ảnh, tệp này từ Telegram. Anh/Chị thử lại sau ít phút hoặc xem trong "
    "nhóm Telegram của đơn vị."
)
DUE_OPTIONS: Final = {0: "Đến hạn hôm nay", 3: "Đến hạn trong 3 ngày", 7: "Đến hạn trong 7 ngày"}
ORDER_LABELS: Final = {"moi_nhat": "Mới nhất", "cu_nhat": "Cũ nhất", "han_som": "Hạn gần nhất"}
MAX_SEARCH_CHARS: Final = 200
SEARCH_KEY: Final = "tim"
# The queue's filter parameters (the search form carries them through its redirect).
QUEUE_PARAMS: Final = frozenset(
    {"trang_thai", "loai", "linh_vuc", "thon", "han", "qua_han", "cua_toi", "sap_xep"}
)
# The forms of the ticket page: path segment -> the lifecycle step it takes.
ACTIONS: Final = {
    "nhan": Step.TAKE,
    "tra-loi": Step.ANSWER,
    "chuyen": Step.FORWARD,
    "tu-choi": Step.REJECT,
    "dong": Step.CLOSE,
    "trung": Step.MARK_DUPLICATE,
    "ghi-chu": Step.INTERNAL_NOTE,
}


# The demo page runs our own script (the chat window) and calls our own API; nothing else.
DEMO_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


async def home(request: Request) -> Response:
    """Staff signed in go to their queue; anyone else sees the website's chat window as a
    portal page embeds it (the demo), with a link for staff."""
    async with unit_of_work(web(request).sessions) as session:
        staff = await current_staff(request, session)
    if staff is not None:
        return RedirectResponse("/hang-doi", status_code=303)
    context = web(request)
    response = context.templates.TemplateResponse(
        request, "demo.html", {"script": f"{context.public_url}/static/widget.js"}
    )
    response.headers["Content-Security-Policy"] = DEMO_CSP
    return response


async def staff_home(request: Request) -> Response:
    """The back office's entry for staff: the queue, or how to get a sign-in link."""
    async with unit_of_work(web(request).sessions) as session:
        staff = await current_staff(request, session)
    if staff is not None:
        return RedirectResponse("/hang-doi", status_code=303)
    return message(request, SIGNED_OUT, 200)


async def sign_in_page(request: Request) -> Response:
    """A button, not the sign-in itself: link previews and prefetching open a link
    without anyone clicking, and must not use it up."""
    return render(request, "sign_in.html", {"token": request.path_params["token"]})


async def sign_in(request: Request) -> Response:
    context = web(request)
    async with unit_of_work(context.sessions) as session:
        opened = await redeem_sign_in_link(
            session=session, token=request.path_params["token"], now=context.now()
        )
    request.session.clear()
    if opened is None:
        return message(request, LINK_INVALID, 400)
    request.session.update(
        staff=opened.staff_id,
        v=opened.version,
        at=opened.opened_at.isoformat(),
        csrf=secrets.token_urlsafe(32),
    )
    return RedirectResponse("/hang-doi", status_code=303)


async def sign_out(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        return message(request, CSRF_REFUSED, 403)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def _queue_filter(request: Request) -> QueueFilter:
    """The filters from the query string; anything not on an allow-list is ignored."""
    params = request.query_params
    kind = params.get("loai")
    page = params.get("trang", "1")
    due = params.get("han", "")
    return QueueFilter(
        state_group=params.get("trang_thai") if params.get("trang_thai") in STATE_GROUPS else None,
        kind=TicketKind(kind) if kind in {k.value for k in TicketKind} else None,
        category_code=params.get("linh_vuc") or None,
        village_code=params.get("thon") or None,
        overdue=params.get("qua_han") == "1",
        due_within=int(due) if due.isdigit() and int(due) in DUE_WITHIN_DAYS else None,
        mine=params.get("cua_toi") == "1",
        # Search words stay out of the URL (browser history, proxy logs): they may be a
        # resident's name or phone. The form posts them into the signed session.
        text=request.session.get(SEARCH_KEY) or None,
        order=params.get("sap_xep", "") if params.get("sap_xep") in QUEUE_ORDERS else DEFAULT_ORDER,
        page=int(page) if page.isdigit() and len(page) < 7 else 1,
    )


async def queue_search(request: Request) -> Response:
    """Set (or, empty, clear) the queue's search words, then show the queue with the
    filters the form carried."""
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        return message(request, CSRF_REFUSED, 403)
    words = form.get("tim")
    text = (
        " ".join(words.split())[:MAX_SEARCH_CHARS]
        if isinstance(words, str) and not form.get("bo_tim")
        else ""
    )
    if text:
        request.session[SEARCH_KEY] = text
    else:
        request.session.pop(SEARCH_KEY, None)
    kept = {
        key: value
        for key, value in form.items()
        if key in QUEUE_PARAMS and isinstance(value, str) and value
    }
    return RedirectResponse(f"/hang-doi?{urlencode(kept)}" if kept else "/hang-doi", 303)


async def queue(request: Request) -> Response:
    context = web(request)
    where = _queue_filter(request)
    async with unit_of_work(context.sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        today = clock.to_local(context.now()).date()
        page = await staff_queue(session=session, staff=staff, where=where, today=today)
        categories = await filter_categories(session=session)
        villages = await filter_villages(session=session)
    rows = [
        {
            "code": t.code,
            "kind": KIND_LABELS.get(t.kind, t.kind),
            "state": STATE_LABELS.get(t.state, t.state),
            "office": t.office.name,
            "category": t.category.name if t.category else "",
            "village": t.village.name if t.village else "",
            "created": local_time(t.created_at),
            "due": format_date(t.due_date),
            "overdue": overdue(t.state, t.due_date, today),
            "mine": t.assigned_staff_id == staff.id,
            "confidential": t.confidential,
            "content": _preview(t) if can_read_ticket(staff, t) else CONFIDENTIAL_HIDDEN,
        }
        for t in page.tickets
    ]
    query = {k: v for k, v in request.query_params.items() if k != "trang"}
    return render(
        request,
        "queue.html",
        {
            "staff": staff,
            "rows": rows,
            "page": page,
            "where": where,
            "query": query,
            "state_groups": STATE_GROUP_LABELS,
            "kinds": KIND_LABELS,
            "categories": [(c.code, c.name) for c in categories],
            "villages": [(v.code, v.name) for v in villages],
            "due_options": DUE_OPTIONS,
            "orders": ORDER_LABELS,
        },
    )


def _actor(label: str) -> str:
    """Who, as staff read it: the member's name, «Người gửi» or «Hệ thống» (the history
    stores "staff:<id> <name>", "resident:<channel>", "system:<job>")."""
    kind, _, rest = label.partition(":")
    if kind == "staff":
        return rest.partition(" ")[2] or "Cán bộ"
    return {"resident": "Người gửi", "system": "Hệ thống"}.get(kind, label)


def _due_text(count: DueCount | None) -> str:
    if count is None:
        return ""
    if count.late:
        return f"quá hạn {count.days} ngày làm việc" if count.days else "đã quá hạn"
    return f"còn {count.days} ngày làm việc" if count.days else "hạn cuối là hôm nay"


def _preview(ticket: Ticket, limit: int = 140) -> str:
    text = " ".join(ticket.content.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def ticket_page(request: Request) -> Response:
    context = web(request)
    code = request.path_params["code"]
    async with unit_of_work(context.sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        today = clock.to_local(context.now()).date()
        try:
            found = await read_ticket_page(session=session, staff=staff, code=code, today=today)
        except Refused as refused:
            return message(request, refused.message, 403, staff)
        except StaffActionError:
            return message(request, NOT_FOUND, 404, staff)
        ticket = found.history.ticket
        cleared = staff.can_read_confidential
        contact = [
            value if cleared else mask_contact(value)
            for value in (ticket.contact_name, ticket.contact_phone, ticket.contact_email)
            if value
        ]
        events = [
            {
                "at": local_time(event.at),
                "actor": _actor(event.actor),
                "from": STATE_LABELS.get(event.from_state, "") if event.from_state else "",
                "to": STATE_LABELS.get(event.to_state, event.to_state),
                "note": event.note or "",
                "internal": INTERNAL_NOTE_LABEL if event.internal else "",
            }
            for event in found.history.events
        ]
        files = [
            {
                "number": n,
                "photo": a.kind is AttachmentKind.PHOTO,
                # Stored photos are on our disk; Telegram's need the bot token.
                "here": a.storage_key is not None or context.files is not None,
            }
            for n, a in enumerate(ticket.attachments, start=1)
        ]
        view = {
            "code": ticket.code,
            "kind": KIND_LABELS.get(ticket.kind, ticket.kind),
            "state": STATE_LABELS.get(ticket.state, ticket.state),
            "office": ticket.office.name,
            "category": ticket.category.name if ticket.category else "",
            "village": ticket.village.name if ticket.village else "",
            "content": ticket.content,
            "confidential": ticket.confidential,
            "anonymous": ticket.anonymous,
            "files": files,
            "contact": contact,
            "created": local_time(ticket.created_at),
            "due": format_date(ticket.due_date),
            "due_count": _due_text(found.due),
            "overdue": overdue(ticket.state, ticket.due_date, today),
        }
        duplicates = [
            {"code": t.code, "content": _preview(t), "created": local_time(t.created_at)}
            for t in found.duplicates
        ]
        picker = await answer_form_extras(
            session, staff, ticket, found.history.events, request.query_params.get("mau")
        )
    # «Chọn» on a likely duplicate reloads the page with it in the form (no scripts).
    chosen = request.query_params.get("ma_goc")
    return render(
        request,
        "ticket.html",
        {
            "staff": staff,
            "ticket": view,
            "events": events,
            "forms": [name for name, step in ACTIONS.items() if step in found.steps],
            "targets": found.forward_targets,
            "duplicates": duplicates,
            "original": chosen if chosen in {d["code"] for d in duplicates} else "",
            "photos_here": any(file["here"] for file in files),
            "photos_elsewhere": PHOTOS_IN_TELEGRAM,
            **picker,
        },
    )


async def ticket_file(request: Request) -> Response:
    """One of the ticket's photos or files, read from Telegram for a member who may read
    the ticket; the file id and the bot token never reach the browser."""
    context = web(request)
    code, number = request.path_params["code"], request.path_params["number"]
    async with unit_of_work(context.sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        try:
            found = await attachment_ref(session=session, staff=staff, code=code, number=number)
        except Refused as refused:
            return message(request, refused.message, 403, staff)
        except StaffActionError:
            found = None
        if found is None:
            return message(request, NOT_FOUND, 404, staff)
    headers = {"Cache-Control": "private, no-store"}
    if found.storage_key is not None:
        data = context.photos.read(found.storage_key) if context.photos else None
        if data is None:
            logger.warning("stored photo %s of %s is missing", number, found.ticket_code)
            return message(request, STORED_PHOTO_MISSING, 404, staff)
        # Stored photos were re-encoded to JPEG or PNG when they came.
        return Response(data, media_type=content_type_of(found.storage_key), headers=headers)
    if context.files is None or found.telegram_file_id is None:
        return message(request, PHOTOS_IN_TELEGRAM, 404, staff)
    try:
        fetched = await context.files.fetch(found.telegram_file_id)
    except FileUnavailable as error:
        logger.warning("file %s of %s not read from Telegram: %s", number, found.ticket_code, error)
        return message(request, FILE_UNAVAILABLE, 502, staff)
    if not fetched.is_image:
        # Not shown by the browser whatever it holds: saved as a file.
        headers["Content-Disposition"] = f'attachment; filename="{found.ticket_code}-{number}"'
    return Response(fetched.data, media_type=fetched.content_type, headers=headers)


Operation = Callable[
    [AsyncSession, StaffMember, str, dict[str, str], WebContext], Awaitable[ActionResult]
]
CHOOSE_OFFICE: Final = "Anh/Chị chọn đơn vị nhận ý kiến giúp."


async def _take(
    session: AsyncSession,
    staff: StaffMember,
    code: str,
    form: dict[str, str],
    context: WebContext,
) -> ActionResult:
    return await handling.take(session=session, staff_member=staff, code=code)


async def _answer(
    session: AsyncSession,
    staff: StaffMember,
    code: str,
    form: dict[str, str],
    context: WebContext,
) -> ActionResult:
    return await handling.answer(
        session=session, staff_member=staff, code=code, text=form.get("noi_dung", "")
    )


async def _reject(
    session: AsyncSession,
    staff: StaffMember,
    code: str,
    form: dict[str, str],
    context: WebContext,
) -> ActionResult:
    return await handling.reject(
        session=session, staff_member=staff, code=code, reason=form.get("ly_do", "")
    )


async def _close(
    session: AsyncSession,
    staff: StaffMember,
    code: str,
    form: dict[str, str],
    context: WebContext,
) -> ActionResult:
    return await handling.close(session=session, staff_member=staff, code=code)


async def _forward(
    session: AsyncSession,
    staff: StaffMember,
    code: str,
    form: dict[str, str],
    context: WebContext,
) -> ActionResult:
    office = form.get("don_vi", "").strip()
    if not office:
        raise StaffActionError(CHOOSE_OFFICE)
    return await handling.forward(
        session=session,
        policy=context.policy,
        staff_member=staff,
        code=code,
        office_code=office,
        note=form.get("ghi_chu"),
    )


async def _note(
    session: AsyncSession,
    staff: StaffMember,
    code: str,
    form: dict[str, str],
    context: WebContext,
) -> ActionResult:
    return await handling.add_internal_note(
        session=session, staff_member=staff, code=code, text=form.get("noi_dung", "")
    )


async def _duplicate(
    session: AsyncSession,
    staff: StaffMember,
    code: str,
    form: dict[str, str],
    context: WebContext,
) -> ActionResult:
    return await handling.mark_duplicate(
        session=session, staff_member=staff, code=code, original_code=form.get("ma_goc", "")
    )


OPERATIONS: Final[dict[str, Operation]] = {
    "nhan": _take,
    "tra-loi": _answer,
    "tu-choi": _reject,
    "chuyen": _forward,
    "dong": _close,
    "trung": _duplicate,
    "ghi-chu": _note,
}


async def ticket_action(request: Request) -> Response:
    context = web(request)
    code, action = request.path_params["code"], request.path_params["action"]
    operation = OPERATIONS.get(action)
    if operation is None:
        return message(request, NOT_FOUND, 404)
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        return message(request, CSRF_REFUSED, 403)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        async with unit_of_work(context.sessions) as session:
            staff = await current_staff(request, session)
            if staff is None:
                return message(request, SIGNED_OUT, 401)
            result = await operation(session, staff, code, fields, context)
    except Refused as refused:
        return message(request, refused.message, 403)
    except StaffActionError as error:
        request.session["flash"] = {"error": True, "text": error.message}
    else:
        request.session["flash"] = {"error": False, "text": f"{result.code}: {result.summary}"}
        if action == "chuyen":
            # The ticket is now another office's: back to this member's own queue.
            return RedirectResponse("/hang-doi", status_code=303)
    return RedirectResponse(f"/y-kien/{code}", status_code=303)


async def server_error(request: Request, exc: Exception) -> Response:
    logger.error("page failed", exc_info=exc)
    return render(request, "message.html", {"message": SERVER_ERROR, "staff": None}, 500)


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return render(request, "message.html", {"message": NOT_FOUND, "staff": None}, status)
