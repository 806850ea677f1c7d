"""Small pure validators for what residents type; each returns a value or a polite reason."""

from __future__ import annotations

import re
import unicodedata

from laikhe.vntext import normalize

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


def match_choice(typed: str, choices: dict[str, str]) -> str | None:
    """The code of the choice the resident meant: its code, its name, or a clear part of it.

    Typed text is compared after Vietnamese normalisation, so "thon mau 1" matches
    "Thôn Mẫu 1". Ambiguous input (several choices contain it) matches nothing.
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
    partial = [code for name, code in by_name.items() if wanted in name]
    return partial[0] if len(partial) == 1 else None
