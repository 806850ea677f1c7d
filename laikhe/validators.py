"""Small pure validators for what residents type; each returns a value or a polite reason."""

from __future__ import annotations

from laikhe.vntext import normalize

MIN_FEEDBACK_WORDS = 3
MAX_FEEDBACK_CHARS = 2000


def validate_feedback_text(text: str) -> tuple[str | None, str | None]:
    """(cleaned text, None) when acceptable, else (None, Vietnamese reason)."""
    cleaned = " ".join(text.split())
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
    wanted = normalize(typed)
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
