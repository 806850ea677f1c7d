"""What the message that starts a form already says: the content, a phone, a name.

A resident often writes the whole matter at once ("toi muon phan anh duong day internet
o thon mau 1 hay bi mat mang, toi la Nguyen Van Binh sdt 0912000123"); these pure
functions find the parts so the form asks only what is missing. Each part is only a
draft: the form shows it in the summary, where «Sửa» changes it, and nothing is stored
before consent. Recognition is deliberately conservative: a part not found is asked.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from laikhe.contact import validate_person_name, validate_phone
from laikhe.validators import clean_text, match_choice, validate_feedback_text
from laikhe.vntext import fold_diacritics, nfc, normalize

# A message with fewer syllables than this (after the trigger words) is a request to
# start, not the matter itself: "tôi muốn gửi phản ánh về đường" and "doanh nghiệp mình
# muốn đề xuất hỗ trợ chuyển đổi số" (a topic staff cannot act on yet) are asked for it.
MIN_CONTENT_WORDS: Final = 6

# Words that only say "I want to send an opinion" (folded, lower case): removed before
# counting what the message says about the matter itself.
TRIGGER_WORDS: Final = frozenset(
    {
        "toi", "em", "chau", "minh", "bac", "con", "chung", "xin", "muon", "can", "gui",
        "co", "y", "kien", "gop", "phan", "anh", "nghi", "de", "xuat", "hoi", "ve", "viec",
        "cho", "xa", "ubnd", "doanh", "nghiep", "a", "da", "nhe", "la", "rang", "mot", "1",
    }
)  # fmt: skip

# "sđt", "sdt", "đt", "số điện thoại", "điện thoại", "phone", "zalo" then the number;
# matched on folded text, so with or without diacritics.
_PHONE_LABEL: Final = r"(?:so\s+dien\s+thoai|dien\s+thoai|sdt|dt|phone|tel|zalo|lh|lien\s+he)"
_PHONE: Final = re.compile(
    rf"(?:\b{_PHONE_LABEL}\b\s*(?:la\b|:)?\s*)?(?<![\d+])(\+?\d[\d .\-]{{7,15}}\d)(?!\d)",
    re.IGNORECASE,
)
# "tôi là", "tên tôi là", "em tên là", "cháu là", "bác là"... then the name (folded).
_NAME_INTRO: Final = re.compile(
    r"\b(?:ten\s+(?:toi|em|chau|minh|bac|con)\s+la|"
    r"(?:toi|em|chau|minh|bac|con)\s+(?:ten\s+la|ten|la))\s+",
    re.IGNORECASE,
)
# A name: two to five capitalised words (Nguyễn Văn Bình), read on the original text.
_NAME_WORDS: Final = re.compile(r"(?:[^\W\d_][^\W\d_]*)(?:\s+[^\W\d_]+){1,4}")
_MAX_NAME_WORDS: Final = 5


class Found(NamedTuple):
    value: str
    start: int
    end: int


def _folded(text: str) -> str | None:
    """The text without diacritics, same length (so spans map back), or None."""
    folded = fold_diacritics(text)
    return folded if len(folded) == len(text) else None


def find_phone(text: str) -> Found | None:
    """The first valid Vietnamese phone number in the text (E.164), with its label's span."""
    text = nfc(text)
    folded = _folded(text)
    if folded is None:
        return None
    for match in _PHONE.finditer(folded):
        number, problem = validate_phone(match.group(1))
        if number is not None and problem is None:
            return Found(number, match.start(), match.end())
    return None


def find_introduced_name(text: str) -> Found | None:
    """A name the resident introduces ("tôi là Nguyễn Văn Bình"): capitalised words only,
    so "tôi là người dân thôn Mẫu 1" is no name."""
    text = nfc(text)
    folded = _folded(text)
    if folded is None:
        return None
    for intro in _NAME_INTRO.finditer(folded):
        words: list[str] = []
        end = intro.end()
        for word in re.finditer(r"\S+", text[intro.end() :]):
            bare = word.group().rstrip(",.;:!?")
            if not bare or not bare[0].isupper() or not bare.isalpha():
                break
            words.append(bare)
            end = intro.end() + word.start() + len(bare)
            if bare != word.group() or len(words) == _MAX_NAME_WORDS:
                break  # punctuation ends the name
        if len(words) < 2:
            continue
        name, problem = validate_person_name(" ".join(words))
        if name is not None and problem is None:
            return Found(name, intro.start(), end)
    return None


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    kept, at = [], 0
    for start, end in sorted(spans):
        kept.append(text[at:start])
        at = max(at, end)
    kept.append(text[at:])
    joined = " ".join("".join(kept).split())
    # Punctuation left dangling where a part was cut: "mất mạng, , " -> "mất mạng".
    joined = re.sub(r"\s+([,.;:])", r"\1", joined)
    joined = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", joined)
    return joined.lstrip(" ,;:.-").rstrip(" ,;:-")


def draft_content(text: str) -> str | None:
    """The matter the first message describes, without the name and phone it gives, when
    it says more than a request to start (else None: the content is asked)."""
    text = nfc(clean_text(text))
    if not text.strip() or text.lstrip().startswith("/"):
        return None  # a button payload
    spans = [found[1:] for found in (find_phone(text), find_introduced_name(text)) if found]
    content = _without(text, spans)
    matter = [word for word in normalize(content).split() if word not in TRIGGER_WORDS]
    if len(matter) < MIN_CONTENT_WORDS:
        return None
    cleaned, problem = validate_feedback_text(content)
    return cleaned if problem is None else None


def slots_from_first_message(
    text: str,
    *,
    content_slot: str,
    phone_slot: str,
    villages: dict[str, str] | None = None,
    village_slot: str = "feedback_village",
) -> dict[str, str]:
    """The form slots a first message fills, in the order the form asks them: its matter,
    the village it names (when the form asks one), an introduced name (`contact_name`)
    and a phone, each only when found."""
    found: dict[str, str] = {}
    content = draft_content(text)
    if content is not None:
        found[content_slot] = content
    village = match_choice(text, villages) if villages else None
    if village is not None:
        found[village_slot] = village
    name, phone = find_introduced_name(text), find_phone(text)
    if name is not None:
        found["contact_name"] = name.value
    if phone is not None:
        found[phone_slot] = phone.value
    return found


def split_name_and_phone(text: str) -> tuple[str, str | None]:
    """A typed answer to "họ tên và số điện thoại": the name part and the phone (E.164),
    or the text unchanged and None when it holds no valid phone. An introduction
    ("tôi là Nguyễn Văn An") gives the name without its opening words."""
    text = nfc(text)
    phone = find_phone(text)
    if phone is None:
        return text, None
    introduced = find_introduced_name(text)
    if introduced is not None:
        return introduced.value, phone.value
    return _without(text, [(phone.start, phone.end)]), phone.value
