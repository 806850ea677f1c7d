"""What one simulated resident does, as a list of steps driven by what the bot shows.

Each step is one message (typed text, a command, or a button pressed by its title) and the
text that the *last* bot message of that turn contains, so the driver knows the turn is
over. When a conversation changes (a new button, a reworded question), only the lists
below change: the drivers read titles and texts, never payloads.
"""

from __future__ import annotations

from dataclasses import dataclass

# Step kinds, reported separately: a ticket submission writes to the database.
START, FAQ, FORM, TICKET, STATUS = "start", "faq", "form", "ticket", "status"


@dataclass(frozen=True)
class Step:
    kind: str
    expect: str  # text in the last bot message of the turn; "{code}" = the captured code
    text: str | None = None  # typed; "{code}" and "{n}" are filled in
    button: str | None = None  # title of a button on the newest bot message that has it
    command: str | None = None  # e.g. "/start"
    captures_code: bool = False  # the reply carries the new ticket code


def typed(text: str, *, expect: str, kind: str = FORM) -> Step:
    return Step(kind=kind, expect=expect, text=text)


def press(title: str, *, expect: str, kind: str = FORM, captures_code: bool = False) -> Step:
    return Step(kind=kind, expect=expect, button=title, captures_code=captures_code)


OPEN_CHAT = (Step(kind=START, expect="Xin chào", command="/start"),)

FAQ_QUESTIONS = (
    typed("lam sao dang ky tai khoan vneid muc 2", expect="giúp ích", kind=FAQ),
    typed("nghị quyết 57 là gì vậy", expect="giúp ích", kind=FAQ),
    typed("thanh toan khong dung tien mat nhu the nao", expect="giúp ích", kind=FAQ),
)

# The feedback form as a resident goes through it today. After the form rework (consent
# and kind buttons first) only this list needs editing.
FEEDBACK_SUBMISSION = (
    typed("gửi góp ý", expect="Bảo vệ dữ liệu cá nhân"),
    press("Đồng ý", expect="Tôi hiểu ý kiến"),  # the kind read from «góp ý», to confirm
    press("Đúng", expect="lĩnh vực"),
    press("Hạ tầng số (Internet, sóng, wifi)", expect="nội dung"),
    # Texts of different residents share under three words, so the duplicate check (same
    # field and village, similar text) does not offer to follow another resident's ticket.
    typed("Thử tải {n}a, {n}b, {n}c, {n}d", expect="thôn nào"),
    press("Thôn Mẫu 2 (mẫu)", expect="kiểm tra lại"),
    press("Gửi", expect="Mã:", kind=TICKET, captures_code=True),
)

STATUS_LOOKUP = (typed("tra cứu {code}", expect="{code}", kind=STATUS),)

RESIDENT = OPEN_CHAT + FAQ_QUESTIONS + FEEDBACK_SUBMISSION + STATUS_LOOKUP
