"""Demo data: a realistic half-year of tickets in a throwaway database, so a newcomer
sees the back office full (`make demo-data`) and the back office benchmark has 100,000
tickets to page through (bench/back_office.py).

Rows are bulk-inserted (100,000 tickets in seconds, not the hour the services would
take one by one) but follow the lifecycle: each ticket's history is a path of steps
that services.lifecycle allows, from SUBMIT on, with the notes, stamps (answered_at,
closed_at), assignee and search text the services would have written. Offices,
categories and villages come from the loaded commune configuration; the tickets'
channel is DEMO_CHANNEL, so no message is ever sent for them and `fill` can tell a
demo database from a real one."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Category,
    FaqVote,
    Office,
    StaffMember,
    StaffRole,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketSequence,
    TicketState,
    UnansweredQuestion,
    Village,
)
from laikhe import clock
from laikhe.commune import CommuneConfig
from laikhe.topics import FAQ_TOPIC_TITLES
from services import lifecycle, ticket_search
from services.calendar import add_working_days
from services.lifecycle import Actor, ActorKind, Step
from services.staff import register_staff
from services.tickets import TicketPolicy, format_ticket_code

DEMO_CHANNEL: Final = "demo"
# Demo staff ids: far from real Telegram user ids' usual range, and never messaged
# (demo tickets' channel has no chat).
DEMO_STAFF_BASE: Final = 9_900_000_000
BATCH: Final = 5000


class RealDataPresent(Exception):
    """The database holds tickets that are not demo tickets: it is not a throwaway one."""


@dataclass(frozen=True)
class DemoSummary:
    tickets: int
    events: int
    faq_votes: int
    unanswered_questions: int
    by_state: dict[str, int] = field(default_factory=dict)
    staff: list[tuple[int, str]] = field(default_factory=list)  # (telegram id, name)


# --------------------------------------------------------------------------------------
# What residents write and staff answer, per category (phrases, not quotes of anyone).
# --------------------------------------------------------------------------------------

PLACES: Final = (
    "xóm Đình",
    "xóm Chợ",
    "gần trạm y tế",
    "cạnh nhà văn hóa",
    "đầu làng",
    "khu trường tiểu học",
    "ngõ 3",
    "cuối thôn",
)
WHEN: Final = ("từ tối qua", "mấy hôm nay", "cả tuần nay", "từ sáng nay", "đã hơn một tháng")
CONTENT: Final[dict[str, tuple[str, ...]]] = {
    "dich_vu_cong": (
        "Tôi nộp hồ sơ trên Cổng dịch vụ công {when} mà chưa thấy kết quả, nhờ xã kiểm tra giúp",
        "Cổng dịch vụ công báo lỗi khi thanh toán lệ phí, {when} vẫn chưa được",
        "Hướng dẫn giúp tôi cách đăng ký khai sinh trực tuyến cho con",
        "Đề nghị xã có người hướng dẫn làm thủ tục trực tuyến ở bộ phận một cửa",
    ),
    "vneid": (
        "Tôi quên mật khẩu VNeID, lấy lại mãi không nhận được mã OTP",
        "Tài khoản định danh mức 2 của mẹ tôi chưa được kích hoạt {when}",
        "Ứng dụng VNeID báo sai thông tin nơi ở, tôi cần cập nhật thế nào",
    ),
    "chu_ky_so": (
        "Hộ kinh doanh cần chữ ký số để kê khai thuế, xã có hỗ trợ đăng ký không",
        "Chữ ký số trên điện thoại không ký được văn bản {when}",
    ),
    "ha_tang_so": (
        "Mất mạng Internet cáp quang ở {place} {when}",
        "Sóng điện thoại {place} rất yếu, gọi hay bị ngắt",
        "Wifi miễn phí ở nhà văn hóa {village} chập chờn {when}",
        "Đề nghị lắp thêm trạm phát sóng cho {village}, {place} không có sóng 4G",
        "Dây cáp viễn thông võng thấp ở {place}, xe tải đi qua dễ vướng",
    ),
    "thuong_mai_dien_tu": (
        "Xã có lớp hướng dẫn bán nông sản trên sàn thương mại điện tử không",
        "Tôi chuyển khoản mua hàng online mà không nhận được hàng, nhờ xã tư vấn",
        "Chợ {village} nên có mã QR thanh toán cho các hộ kinh doanh",
    ),
    "ky_nang_so": (
        "Đề nghị mở lớp Bình dân học vụ số buổi tối cho người đi làm ở {village}",
        "Người cao tuổi ở {place} cần được hướng dẫn dùng điện thoại thông minh",
        "Lớp kỹ năng số tuần trước nghỉ không báo trước, mong xã thông báo sớm hơn",
    ),
    "tuyen_truyen": (
        "Loa phát thanh {place} bị rè, không nghe rõ tin tuyên truyền",
        "Mong xã giải thích rõ hơn Nghị quyết 57 có lợi gì cho bà con nông dân",
        "Đề nghị đăng thông báo của xã lên nhóm Zalo của {village}",
    ),
    "khac": (
        "Đèn đường ở {place} hỏng {when}, buổi tối đi lại rất tối",
        "Rác thải tập kết {place} lâu ngày chưa được thu gom",
        "Đường bê tông {place} bị lún, đề nghị xã sửa chữa",
        "Nhờ xã cho biết lịch tiêm chủng cho trẻ em tháng này",
    ),
}
MISINFORMATION: Final = (
    "Trên Facebook có tin xã sắp thu hồi đất {village} làm khu công nghiệp, có đúng không",
    "Nhóm Zalo đang chia sẻ tin phải nộp tiền để được cấp tài khoản VNeID, tôi thấy nghi ngờ",
    "Có người gọi điện tự xưng cán bộ xã đề nghị cài ứng dụng lạ để nhận trợ cấp",
)
COMPLAINTS: Final = (
    "Tố cáo cán bộ địa chính gây khó dễ khi tôi làm hồ sơ đất ở {village}",
    "Khiếu nại việc bộ phận một cửa trả hồ sơ của tôi mà không nêu lý do",
    "Tố cáo có người thu tiền sai quy định khi hướng dẫn làm thủ tục trực tuyến",
)
ANSWERS: Final[dict[str, tuple[str, ...]]] = {
    "ha_tang_so": (
        "Nhà mạng đã kiểm tra và thay bộ chia quang, đường truyền đã ổn định lại",
        "Xã đã đề nghị nhà mạng bổ sung trạm phát sóng, dự kiến lắp trong quý tới",
        "Đã phối hợp với nhà mạng nâng dây cáp lên đúng độ cao quy định",
    ),
    "dich_vu_cong": (
        "Hồ sơ của Anh/Chị đã được xử lý, kết quả gửi qua tài khoản trên Cổng dịch vụ công",
        "Bộ phận một cửa có cán bộ hướng dẫn thủ tục trực tuyến trong giờ hành chính",
    ),
    "vneid": (
        "Anh/Chị mang căn cước đến công an xã để được hỗ trợ kích hoạt tài khoản",
        "Anh/Chị chọn Quên mật khẩu trên ứng dụng và kiểm tra lại số điện thoại đã đăng ký",
    ),
}
GENERIC_ANSWERS: Final = (
    "Xã đã tiếp nhận và giao bộ phận chuyên môn kiểm tra, xử lý theo quy định",
    "Cảm ơn Anh/Chị đã góp ý, xã sẽ đưa vào kế hoạch thực hiện trong thời gian tới",
    "Xã đã kiểm tra thực tế và khắc phục, mong Anh/Chị tiếp tục phản ánh nếu còn vướng mắc",
)
REJECTIONS: Final = (
    "Nội dung không đủ thông tin để xác minh",
    "Nội dung đã được trả lời ở ý kiến trước",
)
REOPEN_REASONS: Final = ("Vẫn chưa khắc phục được", "Tình trạng lặp lại sau vài ngày")
UNANSWERED: Final = (
    "xã có hỗ trợ tiền mua điện thoại cho người già không",
    "lịch thu thuế đất năm nay khi nào",
    "cho hỏi số điện thoại trưởng thôn",
    "làm sao đổi giấy phép lái xe online",
    "bao giờ có kết quả thi tuyển công chức",
    "đăng ký tạm trú cho người thuê trọ thế nào",
)
STAFF_NAMES: Final = (
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Vũ Thị Giang",
    "Đặng Văn Hải",
    "Bùi Thị Lan",
)
KIND_WEIGHTS: Final = {
    TicketKind.PHAN_ANH: 36,
    TicketKind.GOP_Y: 20,
    TicketKind.CAU_HOI: 20,
    TicketKind.KIEN_NGHI: 12,
    TicketKind.THONG_TIN_SAI: 6,
    TicketKind.KHIEU_NAI_TO_CAO: 6,
}
# Where a ticket of a given age ended up: young ones are mostly open, old ones settled.
# Each outcome is the list of steps that leads there.
_S = Step
PATHS: Final[dict[str, tuple[Step, ...]]] = {
    "new": (_S.SUBMIT,),
    "assigned": (_S.SUBMIT, _S.TAKE),
    "answered": (_S.SUBMIT, _S.TAKE, _S.ANSWER),
    "answered_directly": (_S.SUBMIT, _S.ANSWER),
    "closed": (_S.SUBMIT, _S.TAKE, _S.ANSWER, _S.CLOSE),
    "rejected": (_S.SUBMIT, _S.TAKE, _S.REJECT),
    "forwarded": (_S.SUBMIT, _S.TAKE, _S.FORWARD_OUT),
    "withdrawn": (_S.SUBMIT, _S.WITHDRAW),
    "reopened": (_S.SUBMIT, _S.TAKE, _S.ANSWER, _S.REOPEN),
    "answered_again": (_S.SUBMIT, _S.TAKE, _S.ANSWER, _S.REOPEN, _S.ANSWER),
}
OUTCOMES_BY_AGE: Final = (
    # (younger than N days, weights per path)
    (3, {"new": 50, "assigned": 35, "answered": 8, "withdrawn": 7}),
    (
        15,
        {"new": 8, "assigned": 25, "answered": 30, "answered_directly": 5, "closed": 20}
        | {"rejected": 5, "forwarded": 3, "withdrawn": 2, "reopened": 2},
    ),
    (
        10_000,
        {"new": 2, "assigned": 4, "answered": 18, "answered_directly": 4, "closed": 56}
        | {"rejected": 6, "forwarded": 4, "withdrawn": 2, "reopened": 1, "answered_again": 3},
    ),
)
# Days from one step to the next (from, to), by the step arrived at.
DELAYS: Final[dict[Step, tuple[float, float]]] = {
    Step.TAKE: (0.05, 2.0),
    Step.ANSWER: (0.3, 9.0),
    Step.CLOSE: (1.0, 6.0),
    Step.REJECT: (0.2, 4.0),
    Step.FORWARD_OUT: (0.5, 5.0),
    Step.WITHDRAW: (0.02, 1.0),
    Step.REOPEN: (0.5, 6.0),
}


# The texts come from a few hundred phrases and the dates from 180 days: folding and the
# working-day calendar are computed once each, not 100,000 times.
@functools.cache
def _search_text(content: str, answers: tuple[str, ...]) -> str | None:
    """What services.ticket_search writes for this content and these answers."""
    ticket = Ticket(content=content)
    ticket_search.index_submission(ticket)
    for answer in answers:
        ticket_search.index_answer(ticket, answer)
    return ticket.search_text


_working_days = functools.cache(add_working_days)


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _text(rng: random.Random, template: str, village: str | None) -> str:
    return template.format(
        place=rng.choice(PLACES), when=rng.choice(WHEN), village=village or "thôn"
    )


@dataclass
class _Places:
    offices: dict[str, int]
    categories: list[tuple[int, str, int]]  # (id, code, office id)
    villages: list[tuple[int, str]]  # (id, name)
    staff: dict[int, list[StaffMember]]  # office id -> members who act


async def _demo_staff(
    session: AsyncSession, offices: dict[str, int], commune: CommuneConfig
) -> dict[int, list[StaffMember]]:
    """Two officers and a cleared lead per office, and a commune leader; registered once."""
    wanted: list[tuple[int, str, str | None, StaffRole, bool]] = []
    names = iter(STAFF_NAMES * 4)
    for index, office in enumerate(commune.offices):
        base = DEMO_STAFF_BASE + 10 * (index + 1)
        wanted += [
            (base + 1, next(names), office.code, StaffRole.OFFICER, False),
            (base + 2, next(names), office.code, StaffRole.OFFICER, False),
            (base + 3, f"Trưởng {next(names)}", office.code, StaffRole.OFFICE_LEAD, True),
        ]
    wanted.append((DEMO_STAFF_BASE + 1, "Chủ tịch Demo", None, StaffRole.COMMUNE_LEADER, True))
    existing = {
        m.telegram_user_id: m
        for m in (
            await session.scalars(
                select(StaffMember).where(StaffMember.telegram_user_id.in_([w[0] for w in wanted]))
            )
        ).all()
    }
    acting: dict[int, list[StaffMember]] = {office_id: [] for office_id in offices.values()}
    for user, name, office_code, role, cleared in wanted:
        member = existing.get(user) or await register_staff(
            session=session,
            telegram_user_id=user,
            full_name=name,
            office_code=office_code,
            role=role,
            can_read_confidential=cleared,
        )
        if office_code is not None:
            acting[offices[office_code]].append(member)
    return acting


async def _places(session: AsyncSession, commune: CommuneConfig) -> _Places:
    offices = dict((await session.execute(select(Office.code, Office.id))).tuples().all())
    categories = [
        (row.id, row.code, row.office_id)
        for row in (
            await session.execute(
                select(Category.id, Category.code, Category.office_id).where(Category.active)
            )
        ).all()
    ]
    villages = [
        (row.id, row.name) for row in (await session.execute(select(Village.id, Village.name)))
    ]
    if not offices or not categories:
        raise RuntimeError("load the commune configuration first (python -m admin config load)")
    return _Places(offices, categories, villages, await _demo_staff(session, offices, commune))


def _moments(
    rng: random.Random, start: datetime, steps: tuple[Step, ...], now: datetime
) -> list[datetime]:
    """When each step happened; the path stops at the first step that would be after now."""
    moments = [start]
    for step in steps[1:]:
        low, high = DELAYS[step]
        moment = moments[-1] + timedelta(days=rng.uniform(low, high))
        if moment >= now:
            break
        moments.append(moment)
    return moments


def _created_times(rng: random.Random, count: int, months: int, now: datetime) -> list[datetime]:
    """Spread over the period, more on weekdays and in the daytime, oldest first."""
    zone = clock.commune_zone()
    local_now = clock.to_local(now)
    first = local_now.date() - timedelta(days=30 * months)
    days = (local_now.date() - first).days + 1
    moments: list[datetime] = []
    while len(moments) < count:
        day = first + timedelta(days=rng.randrange(days))
        if day.weekday() >= 5 and rng.random() < 0.5:
            continue
        at = datetime.combine(day, time(rng.choice(range(6, 23)), rng.randrange(60)), zone)
        at += timedelta(seconds=rng.randrange(60))
        if at < local_now:
            moments.append(at)
    return sorted(moments)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


async def fill(
    session: AsyncSession,
    commune: CommuneConfig,
    *,
    count: int = 600,
    months: int = 6,
    seed: int = 2026,
    now: datetime | None = None,
    force: bool = False,
) -> DemoSummary:
    """Add `count` demo tickets created over the last `months` months before `now`, with
    their histories, and the FAQ votes and unanswered questions of the same period.
    Flushes only; the caller commits. Refuses (RealDataPresent) a database with tickets
    of any other channel unless `force`."""
    now = now or clock.now()
    rng = random.Random(seed)
    real = await session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.channel != DEMO_CHANNEL)
    )
    if real and not force:
        raise RealDataPresent(f"{real} tickets that are not demo data")
    places = await _places(session, commune)
    policy = TicketPolicy.from_config(commune)
    office_of_kind = {kind: places.offices[code] for kind, code in commune.kind_routing.items()}
    sequences = dict(
        (
            await session.execute(
                select(TicketSequence.year, TicketSequence.last_value).where(
                    TicketSequence.prefix == policy.prefix
                )
            )
        )
        .tuples()
        .all()
    )
    first_sequences = dict(sequences)

    tickets: list[dict[str, Any]] = []
    histories: list[list[dict[str, Any]]] = []
    by_state: dict[str, int] = {}
    for created in _created_times(rng, count, months, now):
        kind: TicketKind = _pick(rng, KIND_WEIGHTS)
        category_id, category_code, office_id = rng.choice(places.categories)
        office_id = office_of_kind.get(kind.value, office_id)
        village_id, village_name = (
            rng.choice(places.villages) if places.villages and rng.random() < 0.8 else (None, None)
        )
        if kind is TicketKind.KHIEU_NAI_TO_CAO:
            content = _text(rng, rng.choice(COMPLAINTS), village_name)
        elif kind is TicketKind.THONG_TIN_SAI:
            content = _text(rng, rng.choice(MISINFORMATION), village_name)
        else:
            content = _text(
                rng, rng.choice(CONTENT.get(category_code, CONTENT["khac"])), village_name
            )
        anonymous = kind is not TicketKind.KHIEU_NAI_TO_CAO and rng.random() < 0.1
        local_day = clock.to_local(created).date()
        year = local_day.year
        sequences[year] = sequences.get(year, 0) + 1
        age = (now - created).days
        weights = next(w for limit, w in OUTCOMES_BY_AGE if age < limit)
        steps = PATHS[_pick(rng, weights)]
        moments = _moments(rng, created, steps, now)
        staff = rng.choice(places.staff[office_id]) if places.staff[office_id] else None
        row: dict[str, Any] = {
            "code": format_ticket_code(policy.prefix, year, sequences[year]),
            "kind": kind,
            "category_id": category_id,
            "office_id": office_id,
            "village_id": village_id,
            "content": content,
            "confidential": kind is TicketKind.KHIEU_NAI_TO_CAO,
            "anonymous": anonymous,
            "channel": DEMO_CHANNEL,
            "sender_id": None if anonymous else f"demo-{rng.randrange(10**9)}",
            "created_at": created,
            "due_date": _working_days(local_day, policy.working_days_for(kind.value)),
            "answered_at": None,
            "closed_at": None,
            "assigned_staff_id": None,
            "satisfaction": None,
        }
        answers: list[str] = []
        state: TicketState | None = None
        events: list[dict[str, Any]] = []
        for step, at in zip(steps, moments, strict=False):
            transition = lifecycle.TRANSITIONS[step]
            actor_kind = next(iter(transition.actors))
            if staff is None and actor_kind is ActorKind.STAFF:
                break
            assert lifecycle.may(step, state, actor_kind), (step, state)
            target = transition.target or state
            assert target is not None
            if actor_kind is ActorKind.STAFF:
                assert staff is not None
                actor = Actor.staff(staff).label
            else:
                actor = Actor.resident(DEMO_CHANNEL).label
            note = _note(rng, step, staff, category_code)
            if step is Step.ANSWER:
                answers.append(note.removeprefix("Trả lời: "))
            if step in (Step.TAKE, Step.ANSWER) and row["assigned_staff_id"] is None:
                assert staff is not None
                row["assigned_staff_id"] = staff.id
            if step is Step.REOPEN:  # a fresh deadline, as services.resident.reopen sets
                row["due_date"] = _working_days(
                    clock.to_local(at).date(), policy.working_days_for(kind.value)
                )
            if step is Step.FORWARD_OUT:
                row["due_date"] = _working_days(
                    clock.to_local(at).date(), policy.due_working_days.get("forwarded", 5)
                )
            if transition.stamp is not None:
                row[transition.stamp] = at
            for stamp in transition.clears:
                row[stamp] = None
            events.append(
                {"at": at, "actor": actor, "from_state": state, "to_state": target, "note": note}
            )
            state = target
        assert state is not None
        if state is TicketState.CLOSED and not anonymous and rng.random() < 0.55:
            row["satisfaction"] = rng.choices(range(1, 6), weights=(1, 1, 3, 6, 6))[0]
        row["state"] = state
        row["updated_at"] = events[-1]["at"]
        row["search_text"] = _search_text(content, tuple(answers))
        by_state[state.value] = by_state.get(state.value, 0) + 1
        tickets.append(row)
        histories.append(events)

    # Explicit ids: RETURNING on a many-row insert costs more than the insert itself.
    first_id = (await session.scalar(select(func.max(Ticket.id))) or 0) + 1
    all_events: list[dict[str, Any]] = []
    for number, (row, history) in enumerate(zip(tickets, histories, strict=True)):
        row["id"] = first_id + number
        all_events.extend({**event, "ticket_id": row["id"]} for event in history)
    # Through the connection: a plain executemany, not the ORM's bulk path.
    connection = await session.connection()
    for part in _chunks(tickets):
        await connection.execute(insert(Ticket), part)
    for part in _chunks(all_events):
        await connection.execute(insert(TicketEvent), part)
    if connection.dialect.name == "postgresql":
        # The id sequence did not hand these out; the next real insert must not collide.
        await connection.execute(
            text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), max(id)) FROM tickets")
        )
    for year, last in sequences.items():
        if year in first_sequences:
            row_ = await session.get(TicketSequence, (policy.prefix, year))
            assert row_ is not None
            row_.last_value = last
        else:
            session.add(TicketSequence(prefix=policy.prefix, year=year, last_value=last))

    votes = _votes(rng, count, months, now)
    for part in _chunks(votes):
        await connection.execute(insert(FaqVote), part)
    questions = _questions(rng, count, months, now)
    for part in _chunks(questions):
        await connection.execute(insert(UnansweredQuestion), part)
    await session.flush()
    staff_list = sorted(
        {
            (m.telegram_user_id, m.full_name)
            for members in places.staff.values()
            for m in members
            if m.telegram_user_id is not None  # demo staff all have one
        }
    )
    return DemoSummary(
        tickets=len(tickets),
        events=len(all_events),
        faq_votes=len(votes),
        unanswered_questions=len(questions),
        by_state=by_state,
        staff=[(DEMO_STAFF_BASE + 1, "Chủ tịch Demo"), *staff_list],
    )


def _note(rng: random.Random, step: Step, staff: StaffMember | None, category: str) -> str:
    who = staff.full_name if staff is not None else ""
    if step is Step.SUBMIT:
        return "Tiếp nhận qua trợ lý ảo"
    if step is Step.TAKE:
        return f"Nhận xử lý: {who}"
    if step is Step.ANSWER:
        return f"Trả lời: {rng.choice(ANSWERS.get(category, GENERIC_ANSWERS))}"
    if step is Step.CLOSE:
        return f"Đóng: {who}"
    if step is Step.REJECT:
        return f"Từ chối: {rng.choice(REJECTIONS)}"
    if step is Step.FORWARD_OUT:
        return "Ngoài thẩm quyền của xã: chuyển cơ quan có thẩm quyền"
    if step is Step.WITHDRAW:
        return "Người gửi rút ý kiến"
    if step is Step.REOPEN:
        return rng.choice(REOPEN_REASONS)
    return ""


def _spread(rng: random.Random, months: int, now: datetime) -> datetime:
    return now - timedelta(seconds=rng.uniform(60, 30 * months * 86400))


def _votes(rng: random.Random, count: int, months: int, now: datetime) -> list[dict[str, Any]]:
    topics = list(FAQ_TOPIC_TITLES)
    return [
        {
            "topic": rng.choice(topics),
            "useful": rng.random() < 0.78,
            "channel": DEMO_CHANNEL,
            "at": _spread(rng, months, now),
        }
        for _ in range(count)
    ]


def _questions(rng: random.Random, count: int, months: int, now: datetime) -> list[dict[str, Any]]:
    return [
        {"text": rng.choice(UNANSWERED), "channel": DEMO_CHANNEL, "at": _spread(rng, months, now)}
        for _ in range(max(1, count // 8))
    ]
