"""Buttons for channels that have none: numbered lines in the text, and the typed answer
read back as the button it names.

The terminal chat and Zalo show a reply's buttons as «[1] Gửi», numbered on across the
replies of one turn; the resident answers with the number, "số 2", or the title typed with
or without diacritics ("dong y" for «Đồng ý»). Anything else is left to the engine, whose
button steps read the usual words («có», «không», «bỏ qua»: actions/button_steps.py).
Only an exact title counts here: a sentence that merely contains a title is a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from laikhe.vntext import normalize


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


_NUMBER: Final = re.compile(r"(?:so|chon|muc)?\s*(\d{1,2})")


def numbered_lines(buttons: Iterable[Button], *, first: int = 1) -> list[str]:
    """One line per button, «  [n] title», numbered from `first`."""
    return [f"  [{number}] {button.title}" for number, button in enumerate(buttons, first)]


def pick(typed: str, buttons: Sequence[Button]) -> Button | None:
    """The button a typed answer names: its number or its exact title (case, diacritics,
    punctuation and spacing aside); None when it names none or several."""
    wanted = normalize(typed)
    if not wanted:
        return None
    number = _NUMBER.fullmatch(wanted)
    if number is not None:
        index = int(number.group(1))
        return buttons[index - 1] if 1 <= index <= len(buttons) else None
    named = [button for button in buttons if normalize(button.title) == wanted]
    # Two buttons with one title (rare) cannot be told apart by it: the number can.
    return named[0] if len({button.payload for button in named}) == 1 else None


CHOICE_HINT: Final = "(Anh/Chị gõ số thứ tự để chọn.)"


def with_choices(text: str, buttons: Sequence[Button], *, first: int = 1) -> str:
    """A message's text with its buttons as numbered lines and how to answer them."""
    if not buttons:
        return text
    return "\n".join([text, *numbered_lines(buttons, first=first), CHOICE_HINT])
