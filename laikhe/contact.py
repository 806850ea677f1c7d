"""Pure validators for contact and identity details a resident or a business types.

Each returns (normalised value, None) when acceptable, else (None, polite Vietnamese
reason short enough for a phone screen). Parsing rules that change over time (phone
number plans, tax code check digits) come from maintained libraries, not hand-kept
tables.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import urlsplit

import phonenumbers
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.vn import mst

from laikhe.vntext import nfc, normalize

Result = tuple[str | None, str | None]

# --------------------------------------------------------------------------------------
# Phone
# --------------------------------------------------------------------------------------

# Checked before phonenumbers sees the text: the library reads letters as a phone keypad
# ("09123abc45" -> 0912322245), which would silently store a number nobody typed.
_PHONE_CHARS: Final = re.compile(r"^\+?[\d\s.\-()]+$")
# Mobile and fixed lines only: a hotline (1800/1900) or a pager cannot reach the sender.
_PHONE_TYPES: Final = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)
_PHONE_EXAMPLE: Final = "ví dụ 0912 345 678 hoặc 024 3825 1234"


def validate_phone(text: str) -> Result:
    """A Vietnamese mobile or landline number, normalised to E.164 (+84...)."""
    cleaned = text.strip()
    if not cleaned or not _PHONE_CHARS.match(cleaned):
        return None, f"Số điện thoại chỉ gồm chữ số. Anh/Chị nhập lại giúp, {_PHONE_EXAMPLE}."
    try:
        number = phonenumbers.parse(cleaned, "VN")
    except phonenumbers.NumberParseException:
        return None, f"Số điện thoại chưa đúng. Anh/Chị kiểm tra lại giúp, {_PHONE_EXAMPLE}."
    if number.country_code != 84:
        return None, "Anh/Chị vui lòng cho số điện thoại Việt Nam (bắt đầu bằng 0 hoặc +84)."
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return None, f"Số điện thoại thiếu chữ số. Anh/Chị kiểm tra lại giúp, {_PHONE_EXAMPLE}."
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        return None, f"Số điện thoại thừa chữ số. Anh/Chị kiểm tra lại giúp, {_PHONE_EXAMPLE}."
    if (
        not phonenumbers.is_valid_number_for_region(number, "VN")
        or phonenumbers.number_type(number) not in _PHONE_TYPES
    ):
        return None, f"Số điện thoại chưa đúng. Anh/Chị kiểm tra lại giúp, {_PHONE_EXAMPLE}."
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


# --------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------

# Deliberately narrower than RFC 5322: plain ASCII addresses as every Vietnamese mail
# provider issues them. A rare valid address refused costs a retype; a typo accepted
# costs an answer that never arrives.
_EMAIL: Final = re.compile(
    r"^(?P<local>[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$"
)
_EMAIL_MAX: Final = 254


def validate_email(text: str) -> Result:
    """An e-mail address; the domain is lower-cased, the local part kept as typed."""
    cleaned = text.strip()
    match = _EMAIL.match(cleaned)
    if match is None or len(cleaned) > _EMAIL_MAX or len(match["local"]) > 64:
        return None, "Địa chỉ email chưa đúng. Anh/Chị nhập lại giúp, ví dụ ten@gmail.com."
    return f"{match['local']}@{match['domain'].lower()}", None


# --------------------------------------------------------------------------------------
# Tax code (mã số thuế)
# --------------------------------------------------------------------------------------

_TAX_CODE_CHARS: Final = re.compile(r"^[\d\s.\-]+$")


def validate_tax_code(text: str) -> Result:
    """A 10-digit MST, or 13 digits for a branch; normalised "0100109106[-001]"."""
    cleaned = text.strip()
    digits = re.sub(r"\D", "", cleaned)
    if not cleaned or not _TAX_CODE_CHARS.match(cleaned) or len(digits) not in (10, 13):
        return None, (
            "Mã số thuế gồm 10 chữ số (chi nhánh: 10 số, gạch ngang, 3 số). "
            "Anh/Chị nhập lại giúp, ví dụ 0100109106 hoặc 0100109106-001."
        )
    try:
        mst.validate(digits)
    except InvalidChecksum:
        return None, (
            "Mã số thuế có chữ số kiểm tra (số thứ 10) không khớp. "
            "Anh/Chị kiểm tra lại giúp từng chữ số."
        )
    except InvalidComponent:
        return None, "Mã số thuế có phần số không hợp lệ. Anh/Chị kiểm tra lại giúp."
    except ValidationError:
        return None, "Mã số thuế chưa đúng. Anh/Chị kiểm tra lại giúp."
    return str(mst.format(digits)), None


# --------------------------------------------------------------------------------------
# Person name
# --------------------------------------------------------------------------------------

_NAME_MIN, _NAME_MAX = 2, 80
_NAME_PUNCTUATION: Final = frozenset(" .'-")


def _name_char(char: str) -> bool:
    # Combining marks are allowed for the odd decomposed sequence NFC cannot compose.
    return char.isalpha() or char in _NAME_PUNCTUATION or unicodedata.category(char)[0] == "M"


def validate_person_name(text: str) -> Result:
    """A person's name: letters, spaces and . ' - only; spacing tidied, case kept."""
    cleaned = " ".join(nfc(text).split())
    if not _NAME_MIN <= len(cleaned) <= _NAME_MAX:
        return None, f"Họ tên cần từ {_NAME_MIN} đến {_NAME_MAX} ký tự. Anh/Chị nhập lại giúp."
    if not all(_name_char(char) for char in cleaned) or not any(c.isalpha() for c in cleaned):
        return None, "Họ tên chỉ gồm chữ cái. Anh/Chị nhập lại giúp, ví dụ Nguyễn Văn An."
    return cleaned, None


# --------------------------------------------------------------------------------------
# Link or platform (where misinformation was seen)
# --------------------------------------------------------------------------------------

# Normalised spellings residents use -> the platform's own name. Only unambiguous forms.
PLATFORMS: Final[dict[str, str]] = {
    "facebook": "Facebook",
    "fb": "Facebook",
    "face": "Facebook",
    "zalo": "Zalo",
    "youtube": "YouTube",
    "yt": "YouTube",
    "tiktok": "TikTok",
    "tik tok": "TikTok",
    "telegram": "Telegram",
    "instagram": "Instagram",
    "threads": "Threads",
    "twitter": "X",
}
# Host (without "www."/"m.") -> platform, to keep the platform of a link when the link
# itself has to go (see services.privacy).
_PLATFORM_HOSTS: Final[dict[str, str]] = {
    "facebook.com": "Facebook",
    "fb.com": "Facebook",
    "fb.watch": "Facebook",
    "zalo.me": "Zalo",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "tiktok.com": "TikTok",
    "t.me": "Telegram",
    "instagram.com": "Instagram",
    "threads.net": "Threads",
    "x.com": "X",
    "twitter.com": "X",
}
_SOURCE_MIN, _SOURCE_TEXT_MAX, _URL_MAX = 2, 200, 500
_URL_START: Final = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return host.removeprefix("www.").removeprefix("m.")


def platform_of(source: str | None) -> str | None:
    """The platform a stored source names or links to (Facebook, Zalo, ...), else None."""
    if not source:
        return None
    if _URL_START.match(source):
        host = _host(source if "://" in source else f"https://{source}")
        if host is None:
            return None
        for known, name in _PLATFORM_HOSTS.items():
            if host == known or host.endswith(f".{known}"):
                return name
        return None
    # Free text such as "nhóm Zalo của thôn": the platform word is kept, the rest is not.
    words = normalize(source).split()
    for size in (2, 1):
        for start in range(len(words) - size + 1):
            platform = PLATFORMS.get(" ".join(words[start : start + size]))
            if platform is not None:
                return platform
    return None


def validate_link_or_platform(text: str) -> Result:
    """An http(s) link, or where it was seen in words (a platform, a newspaper, a group)."""
    cleaned = " ".join(nfc(text).split())
    if _URL_START.match(cleaned):
        url = cleaned if "://" in cleaned else f"https://{cleaned}"
        if " " in url or len(url) > _URL_MAX or _host(url) is None:
            return None, "Đường link chưa đúng. Anh/Chị dán lại giúp, hoặc ghi tên trang/nhóm."
        return url, None
    if not _SOURCE_MIN <= len(cleaned) <= _SOURCE_TEXT_MAX or not any(
        char.isalnum() for char in cleaned
    ):
        return None, (
            "Anh/Chị cho biết thấy thông tin ở đâu: dán đường link, hoặc ghi tên "
            "(Facebook, Zalo, YouTube, TikTok, báo...)."
        )
    return PLATFORMS.get(normalize(cleaned), cleaned), None


def mask_contact(value: str) -> str:
    """A contact detail shown to staff without clearance: enough to tell two apart, not
    enough to call or write. Phones keep their first and last two digits, e-mails their
    first letter and domain, names their initials."""
    text = value.strip()
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = [c for c in text if c.isdigit()]
    if len(digits) >= 6 and len(digits) >= len(text.replace(" ", "")) - 1:
        return "".join(digits[:2]) + "*" * (len(digits) - 4) + "".join(digits[-2:])
    return " ".join(f"{word[:1]}." for word in text.split())
