"""Half a year of tickets for the overview page's tests (and the screenshots): written
with the ticket service, then a history of state changes as the staff side leaves it.

NOW is Wednesday 01/07/2026 10:00; the default period is the 26 weeks from Monday
05/01/2026 to 01/07/2026 (week 0 starts 05/01, week 24 on 22/06, week 25 on 29/06).
Handled dates are days before or weeks after the due date (10 working days; 20 for a
complaint), so holidays decide nothing here. Every figure the tests expect was worked
out by hand from this table:

key  office  kind         village  received        history                     outcome now
A5   KT      câu hỏi      M2       04/01 23:30     (before the period)         open, overdue
A1   KT      phản ánh     M1       05/01 (wk 0)    answered 07/01, closed 08/01  on time, 5
A2   KT      góp ý        M1       06/01 (wk 0)    answered 02/03              late, 2
B1   VP      góp ý        M1       02/02 (wk 4)    answered 04/02, reopened 10/02,
                                                   answered 12/02              on time
A3   KT      kiến nghị    M2       02/03 (wk 8)    assigned 03/03              open, overdue
C1   TTVHTT  khiếu nại    M1       09/03 (wk 9)    answered 20/03 (CONFIDENTIAL) on time
B2   VP      phản ánh     M3       06/04 (wk 13)   answered 08/04, closed 09/04  on time, 4
C2   VHXH    tin sai      -        04/05 (wk 17)   rejected 05/05              not handled
C3   VHXH    góp ý        M3       18/05 (wk 19)   answered 30/06              late, 1
C5   VHXH    góp ý        M3       01/06 (wk 21)   answered 15/06 23:30 (the due day) on time
C6   VHXH    góp ý        M3       01/06 (wk 21)   answered 16/06 06:00, the day after its
                                                   due date in Vietnam, 15/06 in UTC: late
B3   VP      câu hỏi      -        15/06 (wk 23)   assigned 16/06              open, overdue (29/06)
A6   KT      góp ý        M1       22/06 (wk 24)   assigned 23/06              open (due 06/07)
B4   VP      góp ý        M2       24/06 (wk 24)   -                           open (due 08/07)
C4   VHXH    góp ý        M3       25/06 (wk 24)   answered 26/06, closed 27/06  on time, 3
A4   KT      phản ánh     M2       30/06 (wk 25)   -                           open (due 14/07)

FAQ votes: vneid_register useful 01/02 and 01/03, unclear 01/04; ehealth_book unclear
01/05; privacy useful 04/01 23:00 (before the period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import FaqVote, TicketEvent, TicketKind, TicketState
from laikhe.clock import commune_zone
from laikhe.commune import CommuneConfig
from services.tickets import NewTicket, TicketPolicy, create_ticket

Sessions = async_sessionmaker[AsyncSession]

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=commune_zone())
SECRET = "Tố cáo cán bộ thu tiền sai quy định khi làm hồ sơ đất của gia đình tôi"


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    d, m = (int(part) for part in day.split("/"))
    return datetime(2026, m, d, hour, minute, tzinfo=commune_zone())


@dataclass(frozen=True)
class Seed:
    key: str
    kind: TicketKind
    category: str | None
    village: str | None
    created: datetime
    moves: tuple[tuple[TicketState, datetime], ...] = ()
    satisfaction: int | None = None

    @property
    def content(self) -> str:
        return CONTENTS.get(self.key, SECRET if self.kind is TicketKind.KHIEU_NAI_TO_CAO else "")


P, G, K, Q = TicketKind.PHAN_ANH, TicketKind.GOP_Y, TicketKind.KIEN_NGHI, TicketKind.CAU_HOI
S = TicketState
M1, M2, M3 = "THON-MAU-1", "THON-MAU-2", "THON-MAU-3"
SEEDS = [
    Seed("A5", Q, "thuong_mai_dien_tu", M2, at("04/01", 23, 30)),
    Seed("A1", P, "ha_tang_so", M1, at("05/01"),
         ((S.ANSWERED, at("07/01")), (S.CLOSED, at("08/01"))), satisfaction=5),
    Seed("A2", G, "ha_tang_so", M1, at("06/01"), ((S.ANSWERED, at("02/03")),), satisfaction=2),
    Seed("B1", G, "dich_vu_cong", M1, at("02/02"),
         ((S.ANSWERED, at("04/02")), (S.REOPENED, at("10/02")), (S.ANSWERED, at("12/02")))),
    Seed("A3", K, "thuong_mai_dien_tu", M2, at("02/03"), ((S.ASSIGNED, at("03/03")),)),
    Seed("C1", TicketKind.KHIEU_NAI_TO_CAO, None, M1, at("09/03"),
         ((S.ANSWERED, at("20/03")),)),
    Seed("B2", P, "vneid", M3, at("06/04"),
         ((S.ANSWERED, at("08/04")), (S.CLOSED, at("09/04"))), satisfaction=4),
    Seed("C2", TicketKind.THONG_TIN_SAI, None, None, at("04/05"), ((S.REJECTED, at("05/05")),)),
    Seed("C3", G, "ky_nang_so", M3, at("18/05"), ((S.ANSWERED, at("30/06")),), satisfaction=1),
    Seed("C5", G, "ky_nang_so", M3, at("01/06"), ((S.ANSWERED, at("15/06", 23, 30)),)),
    Seed("C6", G, "ky_nang_so", M3, at("01/06"), ((S.ANSWERED, at("16/06", 6)),)),
    Seed("B3", Q, "vneid", None, at("15/06"), ((S.ASSIGNED, at("16/06")),)),
    Seed("A6", G, "ha_tang_so", M1, at("22/06"), ((S.ASSIGNED, at("23/06")),)),
    Seed("B4", G, "dich_vu_cong", M2, at("24/06")),
    Seed("C4", G, "ky_nang_so", M3, at("25/06"),
         ((S.ANSWERED, at("26/06")), (S.CLOSED, at("27/06"))), satisfaction=3),
    Seed("A4", P, "ha_tang_so", M2, at("30/06")),
]  # fmt: skip
# What residents wrote (made up; no person in it), shown on the queue's screenshots.
CONTENTS = {
    "A5": "Xin hỏi xã có lớp hướng dẫn bán hàng trên sàn thương mại điện tử không?",
    "A1": "Sóng điện thoại ở khu đồng thôn Mẫu 1 rất yếu, gọi hay bị mất tín hiệu.",
    "A2": "Đề nghị lắp thêm điểm wifi miễn phí ở nhà văn hóa thôn Mẫu 1.",
    "B1": "Nên có hướng dẫn từng bước nộp hồ sơ trực tuyến cho người lớn tuổi.",
    "A3": "Kiến nghị hỗ trợ hộ kinh doanh mở tài khoản thanh toán không dùng tiền mặt.",
    "B2": "Ứng dụng VNeID báo lỗi khi kích hoạt tài khoản mức 2.",
    "C2": "Trên mạng có tin đồn xã thu phí cài VNeID, tin này không đúng.",
    "C3": "Góp ý mở thêm lớp kỹ năng số buổi tối cho người đi làm.",
    "C5": "Lớp Bình dân học vụ số nên có tài liệu in cho người cao tuổi.",
    "C6": "Đề nghị cho học viên mượn máy tính bảng khi học kỹ năng số.",
    "B3": "Làm thế nào để đổi số điện thoại đã đăng ký trên VNeID?",
    "A6": "Cáp quang dọc đường liên thôn bị võng thấp, xe tải dễ vướng.",
    "B4": "Cổng dịch vụ công nên gửi tin nhắn khi hồ sơ có kết quả.",
    "C4": "Cảm ơn xã đã mở lớp hướng dẫn dùng điện thoại thông minh.",
    "A4": "Wifi ở trạm y tế xã chập chờn, khó tra cứu sổ sức khỏe điện tử.",
}
FAQ_VOTES = [
    ("vneid_register", True, at("01/02")),
    ("vneid_register", True, at("01/03")),
    ("vneid_register", False, at("01/04")),
    ("ehealth_book", False, at("01/05")),
    ("privacy", True, at("04/01", 23, 0)),
]


def weeks_to(today: datetime) -> timedelta:
    """The whole weeks that bring NOW to `today`'s week or the one before, never after it:
    seeded with this shift, the table happened lately (same weekdays, same weeks)."""
    return timedelta(weeks=(today - NOW).days // 7)


async def seed_half_year(
    sessions: Sessions, commune: CommuneConfig, *, shift: timedelta = timedelta(0)
) -> dict[str, str]:
    """Write SEEDS and FAQ_VOTES, every date moved by `shift` (the browser test and the
    screenshots show recent weeks); returns key -> ticket code."""
    policy = TicketPolicy.from_config(commune)
    codes: dict[str, str] = {}
    async with sessions() as session:
        for seed in SEEDS:
            ticket = await create_ticket(
                session=session,
                policy=policy,
                ticket=NewTicket(
                    kind=seed.kind,
                    content=seed.content or seed.key,
                    channel="telegram",
                    sender_id=f"sender-{seed.key}",
                    category_code=seed.category,
                    village_code=seed.village,
                ),
                now=seed.created + shift,
            )
            state = ticket.state
            for to_state, when in seed.moves:
                ticket.events.append(
                    TicketEvent(
                        at=when + shift, actor="staff:1", from_state=state, to_state=to_state
                    )
                )
                state = to_state
                ticket.updated_at = when + shift
                if to_state is S.ANSWERED:
                    ticket.answered_at = when + shift
                if to_state is S.CLOSED:
                    ticket.closed_at = when + shift
            ticket.state = state
            ticket.satisfaction = seed.satisfaction
            codes[seed.key] = ticket.code
        for topic, useful, when in FAQ_VOTES:
            session.add(FaqVote(topic=topic, useful=useful, channel="telegram", at=when + shift))
        await session.commit()
    return codes
