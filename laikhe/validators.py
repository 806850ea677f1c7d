"""Small pure validators for what residents type; each returns a value or a polite reason."""

from __future__ import annotations

import re
import unicodedata
from typing import Final, NamedTuple

from laikhe.vntext import (
    ABBREVIATIONS,
    fold_diacritics,
    nfc,
    normalize,
    normalize_tone_placement,
    tokenize_with_offsets,
)

MIN_FEEDBACK_WORDS = 3
MAX_FEEDBACK_CHARS = 2000

# Bidirectional embedding, override and isolate controls (and the marks): they can make a
# ticket's text read differently on screen from what is stored ("Trojan Source").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters that separate words become a space rather than joining them.
_SPACING_CONTROLS = frozenset("\t\v\f\r\x1c\x1d\x1e\x1f\x85")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029]")

# Telegram file ids are URL-safe base64: never a URL, a path or anything with spaces.
_TELEGRAM_FILE_ID = re.compile(r"[A-Za-z0-9_-]{10,200}")


def clean_text(text: str) -> str:
    """Typed text without NUL, other control characters (newline kept), bidi controls,
    the byte-order mark or lone surrogates, none of which belongs in a ticket."""
    text = _LINE_BREAKS.sub("\n", text)
    kept = []
    for char in text:
        if char == "\n":
            kept.append(char)
        elif char in _SPACING_CONTROLS:
            kept.append(" ")
        elif char in _BIDI or char == "\ufeff" or unicodedata.category(char) in ("Cc", "Cs"):
            continue
        else:
            kept.append(char)
    return "".join(kept)


def is_telegram_file_id(value: object) -> bool:
    return isinstance(value, str) and _TELEGRAM_FILE_ID.fullmatch(value) is not None


def validate_feedback_text(text: str) -> tuple[str | None, str | None]:
    """(cleaned text, None) when acceptable, else (None, Vietnamese reason)."""
    cleaned = " ".join(clean_text(text).split())
    words = [w for w in normalize(cleaned).split() if any(ch.isalnum() for ch in w)]
    if len(words) < MIN_FEEDBACK_WORDS:
        return None, (
            "Nội dung hơi ngắn. Anh/Chị viết rõ hơn một chút (ít nhất vài từ: việc gì, ở đâu)."
        )
    if len(cleaned) > MAX_FEEDBACK_CHARS:
        return None, (
            f"Nội dung dài quá {MAX_FEEDBACK_CHARS} ký tự. Anh/Chị rút gọn giúp, "
            "hoặc chia thành nhiều ý kiến."
        )
    return cleaned, None


# --------------------------------------------------------------------------------------
# Typed answers to button steps
# --------------------------------------------------------------------------------------
#
# A resident often types what a button says, inside a sentence and often without
# diacritics: "o thon mau 1", "vâng, ghi nhận giúp em". These decide from the words alone;
# the NLU intent of such a sentence is unreliable (it was out_of_scope in a review).

# Words that name the kind of place before a village's own name.
PLACE_WORDS: Final = frozenset({"thon", "xom", "khu", "lang"})
_PARENTHESES: Final = re.compile(r"\([^)]*\)")
# "mau1" typed for "Mẫu 1": a letter run glued to a number is two words.
_GLUED_NUMBER: Final = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def _words(text: str) -> list[str]:
    return _GLUED_NUMBER.sub(" ", normalize(text)).split()


def _contains(words: list[str], part: list[str]) -> bool:
    size = len(part)
    return size > 0 and any(words[i : i + size] == part for i in range(len(words) - size + 1))


def _name_forms(name: str) -> list[list[str]]:
    """The word sequences that name a choice: "Thôn Mẫu 1 (mẫu)" -> thon mau 1, mau 1."""
    full = _words(_PARENTHESES.sub(" ", name))
    forms = [full]
    if len(full) > 1 and full[0] in PLACE_WORDS:
        forms.append(full[1:])
    return forms


def match_choice(typed: str, choices: dict[str, str]) -> str | None:
    """The code of the choice the resident meant: its code, its name, or a clear part of it.

    Typed text is compared after Vietnamese normalisation, so "thon mau 1" matches
    "Thôn Mẫu 1". A name (with or without "thôn"/"xóm") said inside a sentence matches
    word for word ("ở thôn Mẫu 1 ạ"; "Mẫu 10" is not "Mẫu 1"); the longest such name wins.
    Ambiguous input (several choices fit equally) matches nothing.
    """
    if typed in choices:
        return typed
    wanted = normalize(clean_text(typed))
    if not wanted:
        return None
    by_name = {normalize(name): code for code, name in choices.items()}
    if wanted in by_name:
        return by_name[wanted]
    by_code = {normalize(code.replace("_", " ").replace("-", " ")): code for code in choices}
    if wanted in by_code:
        return by_code[wanted]
    words = _words(clean_text(typed))
    said = {
        code: max((len(form) for form in _name_forms(name) if _contains(words, form)), default=0)
        for code, name in choices.items()
    }
    longest = max(said.values(), default=0)
    named = [code for code, size in said.items() if size and size == longest]
    if len(named) == 1:
        return named[0]
    partial = [code for name, code in by_name.items() if wanted in name]
    return partial[0] if len(partial) == 1 else None


YES_PHRASES: Final = (
    "vâng", "ừ", "ừm", "uh", "uhm", "um", "uk", "ok", "okay", "yes", "yep", "có", "được",
    "đồng ý", "nhất trí", "đúng rồi", "đúng vậy", "phải rồi", "chắc chắn", "xác nhận",
)  # fmt: skip
NO_PHRASES: Final = (
    "không", "hông", "chưa", "thôi", "no", "nope", "khỏi", "không đồng ý", "không cần",
    "không muốn", "chưa đồng ý", "không cảm ơn",
)  # fmt: skip
# Openings that look like an answer but are not one: "không biết", "có lẽ", "có thể".
NOT_AN_ANSWER: Final = (
    "không biết", "không hiểu", "không rõ", "không sao", "chưa biết", "chưa hiểu",
    "chưa rõ", "có lẽ", "có thể", "có phải", "có cần", "có ai", "có gì",
)  # fmt: skip
# These also open ordinary sentences ("có cột điện đổ", "gửi thêm ảnh"): they answer
# only when a pause (punctuation) or a particle follows them.
SENTENCE_OPENERS: Final = frozenset({"co", "khong", "chua", "duoc", "gui"})
PARTICLES: Final = frozenset(
    {"a", "nhe", "nha", "di", "roi", "ma", "em", "anh", "chi", "toi", "minh", "luon", "nhi"}
)
# A bare polite "dạ" answers yes; "dạ" before other words is only politeness.
POLITE: Final = "dạ"
# A sentence ending in these is a question ("có mất phí không"), not an answer.
QUESTION_ENDINGS: Final = frozenset({"khong", "chua", "sao", "gi", "ha"})
_NEGATIONS: Final = frozenset({"khong", "chua"})
# An answer is short; a long text typed at a yes/no step is something else (content).
MAX_ANSWER_WORDS: Final = 10
_PAUSE: Final = re.compile(r"[,.;:!…\-]")


class _Word(NamedTuple):
    folded: str
    typed: str  # lower case, tone marks in one place; an abbreviation as its expansion
    start: int
    end: int


def _typed_words(text: str) -> list[_Word]:
    found = []
    for token in tokenize_with_offsets(text):
        typed = normalize_tone_placement(nfc(text[token.start : token.end])).lower()
        if fold_diacritics(typed) in ABBREVIATIONS:  # "ko", "đc": typed without marks
            typed = token.text
        found.append(_Word(token.text, typed, token.start, token.end))
    return found


def _phrase_words(phrase: str) -> list[tuple[str, str]]:
    written = normalize_tone_placement(nfc(phrase)).lower().split()
    return [(fold_diacritics(word), word) for word in written]


def _says(words: list[_Word], at: int, phrase: list[tuple[str, str]]) -> bool:
    """The phrase is written at ``at``: with its own diacritics, or with none at all.

    "co" is "có" typed without marks, but "cô" or "cơ" is another word.
    """
    if not phrase or at + len(phrase) > len(words):
        return False
    return all(
        word.folded == folded and word.typed in (word.folded, typed)
        for word, (folded, typed) in zip(words[at:], phrase, strict=False)
    )


def _longest_at(
    words: list[_Word], at: int, phrases: dict[str, bool | None]
) -> tuple[int, bool | None]:
    """(length, meaning) of the longest phrase said at ``at``; (0, None) for none."""
    best: tuple[int, bool | None] = (0, None)
    for phrase, meaning in phrases.items():
        written = _phrase_words(phrase)
        if len(written) > best[0] and _says(words, at, written):
            best = (len(written), meaning)
    return best


def yes_or_no(
    text: str, *, yes: tuple[str, ...] = (), no: tuple[str, ...] = (), generic: bool = True
) -> bool | None:
    """True/False when ``text`` opens with a yes or a no, None when it is not an answer.

    ``yes`` and ``no`` add the step's own button words ("ghi nhận", "không xóa");
    ``generic=False`` keeps only those (a choice that a plain "có" does not make). Not an
    answer: a question, an opening like "không biết", a long text, "có"/"không" opening
    an ordinary sentence, or a later word that contradicts the opening ("vâng, tôi không
    đồng ý"). The longest phrase decides, so "không đồng ý" is a no.
    """
    words = _typed_words(text)
    if "?" in text or not words or len(words) > MAX_ANSWER_WORDS:
        return None
    phrases: dict[str, bool | None] = {
        **dict.fromkeys(NOT_AN_ANSWER),
        **dict.fromkeys((*(NO_PHRASES if generic else ()), *no), False),
        **dict.fromkeys((*(YES_PHRASES if generic else ()), *yes), True),
    }
    start = 1 if _says(words, 0, _phrase_words(POLITE)) else 0
    if start and len(words) == 1:
        return True
    size, meaning = _longest_at(words, start, phrases)
    end = start + size
    if size == 0 or meaning is None:
        return None
    if end < len(words):
        if words[-1].folded in QUESTION_ENDINGS:
            return None
        opener = words[start].folded if size == 1 else ""
        paused = _PAUSE.search(text[words[end - 1].end : words[end].start]) is not None
        if opener in SENTENCE_OPENERS and not paused and words[end].folded not in PARTICLES:
            return None
    for at in range(end, len(words)):
        later = _longest_at(words, at, phrases)[1]
        negated = words[at - 1].folded in _NEGATIONS
        if later is not None and later is not meaning and not (later and negated):
            return None
    return meaning
