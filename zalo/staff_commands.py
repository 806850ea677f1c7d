"""Staff commands typed in Zalo (no buttons there): parsed here, without any I/O.

`/nhan <mã>`, `/traloi <mã> <nội dung>`, `/chuyen <mã> <đơn vị>`, `/tuchoi <mã> <lý do>`,
`/dong <mã>`, `/xem <mã>`, `/dangnhap`, and `/id` (the writer's own Zalo user id, by
which the administrator registers staff). Command names are read with or without
diacritics and in any case («/Nhận»); codes as services.tickets.parse_ticket_code reads
them; an office by its code or its name, with or without diacritics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from laikhe.vntext import fold_diacritics
from services.tickets import parse_ticket_code

Op = Literal["take", "answer", "forward", "reject", "close", "view", "sign_in", "my_id"]

NAMES: Final[dict[str, Op]] = {
    "nhan": "take",
    "traloi": "answer",
    "chuyen": "forward",
    "tuchoi": "reject",
    "dong": "close",
    "xem": "view",
    "dangnhap": "sign_in",
    "id": "my_id",
}
USAGE: Final[dict[Op, str]] = {
    "take": "/nhan <mã ý kiến>",
    "answer": "/traloi <mã ý kiến> <nội dung trả lời>",
    "forward": "/chuyen <mã ý kiến> <mã hoặc tên đơn vị, hoặc «ngoài xã»>",
    "reject": "/tuchoi <mã ý kiến> <lý do>",
    "close": "/dong <mã ý kiến>",
    "view": "/xem <mã ý kiến> (nhắn riêng cho trợ lý)",
    "sign_in": "/dangnhap (nhắn riêng cho trợ lý)",
    "my_id": "/id (nhắn riêng: mã Zalo của Anh/Chị, để được đăng ký cán bộ)",
}
HELP: Final = "Các lệnh cho cán bộ:\n" + "\n".join(USAGE.values())
# «/chuyen <mã> ngoài xã»: out of the commune's competence (services.handling.forward).
OUTSIDE: Final = "ngoai xa"

_COMMAND_RE: Final = re.compile(r"^\s*/(\S+)(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Command:
    op: Op
    code: str | None  # canonical ticket code (None only for sign_in)
    text: str  # what follows the code: the answer, the reason, the office


@dataclass(frozen=True)
class Problem:
    """A command that cannot be run as typed; `message` is the Vietnamese reply."""

    message: str


def _name(word: str) -> str:
    # «/nhan@bot» as some clients address a bot in a group.
    return fold_diacritics(word.split("@", 1)[0]).casefold()


def is_staff_command(text: str) -> bool:
    """A known staff command, well formed or not (a resident's other «/…» is not one)."""
    match = _COMMAND_RE.match(text)
    return match is not None and _name(match.group(1)) in NAMES


def parse(text: str) -> Command | Problem | None:
    """The command, a Problem to answer, or None when the text is not a command at all."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return None
    word, rest = match.group(1), (match.group(2) or "").strip()
    op = NAMES.get(_name(word))
    if op is None:
        return Problem(f"Trợ lý không hiểu lệnh «/{word[:30]}».\n{HELP}")
    if op in ("sign_in", "my_id"):
        return Command(op, None, "")
    usage = f"Cú pháp: {USAGE[op]}"
    first, _, after = rest.partition(" ")
    if not first:
        return Problem(usage)
    code = parse_ticket_code(first)
    if code is None:
        return Problem(
            f"«{first[:40]}» không phải mã ý kiến. Anh/Chị nhập mã như trên thẻ ý kiến.\n{usage}"
        )
    after = after.strip()
    if op in ("answer", "reject", "forward") and not after:
        return Problem(usage)
    return Command(op, code, after)


def _folded(text: str) -> str:
    # Punctuation in names («Văn hóa, Thể thao», «Văn hóa - Xã hội») is no part of a word.
    return " ".join(re.sub(r"[^\w]+", " ", fold_diacritics(text).casefold()).split())


def match_office(typed: str, offices: Sequence[tuple[str, str]]) -> str | None:
    """The code of the office `typed` names, by code or by name (with or without
    diacritics, or a part of the name in whole words), or None when none or several fit."""
    wanted = _folded(typed)
    if not wanted:
        return None
    for code, name in offices:
        if wanted in (_folded(code), _folded(name)):
            return code
    padded = f" {wanted} "
    fits = [code for code, name in offices if padded in f" {_folded(name)} "]
    return fits[0] if len(fits) == 1 else None


def is_outside(typed: str) -> bool:
    return _folded(typed) == OUTSIDE
