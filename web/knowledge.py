"""The back office's knowledge pages: an office's saved answers, proposals for the
assistant's FAQ and their review, and the questions the assistant could not answer.
Thin handlers, as in web/pages.py: find the signed-in member, check the CSRF token of
every form, call one service, render."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Final

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from db.models import FaqProposal, ProposalStatus, StaffMember
from db.session import unit_of_work
from laikhe import clock
from services import faq_proposals, saved_answers
from services.faq_proposals import STATUS_LABELS, Draft, ProposalError
from services.handling import StaffActionError
from services.saved_answers import SavedAnswerError
from services.unanswered import unanswered_groups
from web.common import CSRF_REFUSED, SIGNED_OUT, csrf_ok, current_staff, local_time, message, render
from web.context import web

SAVED: Final = "/mau-tra-loi"
PROPOSALS: Final = "/de-xuat-faq"
# The unanswered questions page's periods (days back from today; "" = all kept).
PERIODS: Final = {"7": "7 ngày qua", "30": "30 ngày qua", "90": "90 ngày qua", "": "Tất cả"}
DEFAULT_PERIOD: Final = "30"
# The most asked groups only: the long tail of one-off questions says little.
SHOWN_GROUPS: Final = 200


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _flash(request: Request, text: str, *, error: bool = False) -> None:
    request.session["flash"] = {"error": error, "text": text}


# --- Saved answers -------------------------------------------------------------------


async def _saved_page(
    request: Request, status_code: int = 200, draft: dict[str, str] | None = None
) -> Response:
    async with unit_of_work(web(request).sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        if staff.office_id is None:
            return message(request, saved_answers.NO_OFFICE, 200, staff)
        rows = await saved_answers.list_saved_answers(session=session, staff=staff)
        items = [
            {"id": s.id, "title": s.title, "text": s.text, "updated": local_time(s.updated_at)}
            for s in rows
        ]
    return render(
        request,
        "saved_answers.html",
        {"staff": staff, "items": items, "draft": draft or {}, "limits": saved_answers},
        status_code,
    )


async def saved_list(request: Request) -> Response:
    return await _saved_page(request)


async def saved_add(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        return message(request, CSRF_REFUSED, 403)
    title, text = _text(form, "tieu_de"), _text(form, "noi_dung")
    try:
        async with unit_of_work(web(request).sessions) as session:
            staff = await current_staff(request, session)
            if staff is None:
                return message(request, SIGNED_OUT, 401)
            saved = await saved_answers.add_saved_answer(
                session=session, staff=staff, title=title, text=text, now=web(request).now()
            )
            done = saved.title
    except SavedAnswerError as error:
        _flash(request, error.message, error=True)
        return await _saved_page(request, 400, {"title": title, "text": text})
    _flash(request, f"Đã thêm mẫu trả lời «{done}».")
    return RedirectResponse(SAVED, status_code=303)


async def saved_change(request: Request) -> Response:
    """Edit (…/sua) or delete (…/xoa) one saved answer of the member's office."""
    answer_id, action = request.path_params["answer_id"], request.path_params["action"]
    if action not in ("sua", "xoa"):
        return message(request, saved_answers.NOT_FOUND, 404)
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        return message(request, CSRF_REFUSED, 403)
    try:
        async with unit_of_work(web(request).sessions) as session:
            staff = await current_staff(request, session)
            if staff is None:
                return message(request, SIGNED_OUT, 401)
            if action == "xoa":
                title = await saved_answers.delete_saved_answer(
                    session=session, staff=staff, answer_id=answer_id
                )
                done = f"Đã xóa mẫu trả lời «{title}»."
            else:
                saved = await saved_answers.edit_saved_answer(
                    session=session,
                    staff=staff,
                    answer_id=answer_id,
                    title=_text(form, "tieu_de"),
                    text=_text(form, "noi_dung"),
                    now=web(request).now(),
                )
                done = f"Đã lưu mẫu trả lời «{saved.title}»."
    except SavedAnswerError as error:
        _flash(request, error.message, error=True)
        status = 404 if error.message == saved_answers.NOT_FOUND else 400
        return await _saved_page(request, status)
    _flash(request, done)
    return RedirectResponse(SAVED, status_code=303)


# --- FAQ proposals -------------------------------------------------------------------


def _proposal_view(proposal: FaqProposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "question": proposal.question,
        "answer": proposal.answer,
        "status": STATUS_LABELS[proposal.status],
        "pending": proposal.status is ProposalStatus.PROPOSED,
        "office": proposal.office.name if proposal.office else "Cấp xã",
        "by": proposal.proposed_by.full_name,
        "created": local_time(proposal.created_at),
        "reviewer": proposal.reviewed_by.full_name if proposal.reviewed_by else "",
        "reviewed": local_time(proposal.reviewed_at) if proposal.reviewed_at else "",
        "note": proposal.review_note or "",
    }


async def proposals_list(request: Request) -> Response:
    async with unit_of_work(web(request).sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        found = await faq_proposals.list_proposals(session=session, staff=staff)
        rows = [_proposal_view(p) for p in found]
        yaml_text = faq_proposals.accepted_yaml(found)
    return render(
        request,
        "faq_proposals.html",
        {
            "staff": staff,
            "pending": [r for r in rows if r["pending"]],
            "reviewed": [r for r in rows if not r["pending"]],
            "reviewer": faq_proposals.may_review(staff),
            "yaml": yaml_text,
        },
    )


def _propose_form(
    request: Request, staff: StaffMember, draft: Draft, status_code: int = 200
) -> Response:
    return render(
        request,
        "faq_propose.html",
        {"staff": staff, "draft": draft, "limits": faq_proposals},
        status_code,
    )


async def propose_form(request: Request) -> Response:
    """The form, filled from a saved answer (?mau=<id>) or an answered ticket
    (?y_kien=<code>), contact details already masked."""
    params = request.query_params
    async with unit_of_work(web(request).sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        try:
            if params.get("mau", "").isdigit():
                draft = await faq_proposals.draft_from_saved_answer(
                    session=session, staff=staff, answer_id=int(params["mau"])
                )
            elif params.get("y_kien"):
                draft = await faq_proposals.draft_from_ticket(
                    session=session, staff=staff, code=params["y_kien"]
                )
            else:
                draft = Draft(question="", answer="")
        except (SavedAnswerError, ProposalError, StaffActionError) as error:
            return message(request, error.message, 403, staff)
    return _propose_form(request, staff, draft)


async def propose(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        return message(request, CSRF_REFUSED, 403)
    question, answer = _text(form, "cau_hoi"), _text(form, "tra_loi")
    async with unit_of_work(web(request).sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        try:
            _, masked = await faq_proposals.propose(
                session=session,
                staff=staff,
                question=question,
                answer=answer,
                now=web(request).now(),
            )
        except ProposalError as error:
            _flash(request, error.message, error=True)
            return _propose_form(request, staff, Draft(question, answer), 400)
    done = "Đã gửi đề xuất; lãnh đạo xã sẽ xem xét."
    _flash(request, f"{done} {faq_proposals.MASKED}" if masked else done)
    return RedirectResponse(PROPOSALS, status_code=303)


async def review(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, form.get("csrf")):
        return message(request, CSRF_REFUSED, 403)
    decision = _text(form, "quyet_dinh")
    if decision not in ("chap_nhan", "tu_choi"):
        return message(request, "Anh/Chị chọn «Chấp nhận» hoặc «Không chấp nhận» giúp.", 400)
    try:
        async with unit_of_work(web(request).sessions) as session:
            staff = await current_staff(request, session)
            if staff is None:
                return message(request, SIGNED_OUT, 401)
            if not faq_proposals.may_review(staff):
                return message(request, faq_proposals.ONLY_LEADERS, 403, staff)
            done = await faq_proposals.review(
                session=session,
                staff=staff,
                proposal_id=request.path_params["proposal_id"],
                accept=decision == "chap_nhan",
                note=_text(form, "ghi_chu"),
                now=web(request).now(),
            )
            _flash(request, f"Đề xuất số {done.id}: {STATUS_LABELS[done.status].lower()}.")
    except ProposalError as error:
        _flash(request, error.message, error=True)
    return RedirectResponse(PROPOSALS, status_code=303)


# --- Unanswered questions ------------------------------------------------------------


async def unanswered(request: Request) -> Response:
    """Every signed-in member: what residents ask is commune-wide knowledge (no sender is
    stored, contact details in the texts are masked), and officers write the answers."""
    period = request.query_params.get("ky", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    context = web(request)
    since = None
    if period:
        today = clock.to_local(context.now()).date()
        start = today - timedelta(days=int(period) - 1)
        since = datetime.combine(start, time(0), tzinfo=clock.commune_zone())
    async with unit_of_work(context.sessions) as session:
        staff = await current_staff(request, session)
        if staff is None:
            return message(request, SIGNED_OUT, 401)
        groups = await unanswered_groups(session=session, since=since)
    rows = [
        {
            "example": g.example,
            "count": g.count,
            "wordings": len(g.wordings),
            "first": local_time(g.first_seen),
            "last": local_time(g.last_seen),
        }
        for g in groups[:SHOWN_GROUPS]
    ]
    return render(
        request,
        "unanswered.html",
        {
            "staff": staff,
            "rows": rows,
            "total": sum(g.count for g in groups),
            "groups": len(groups),
            "periods": PERIODS,
            "period": period,
        },
    )
