"""What the engine's reading of a message proposes for a ticket: a kind and a field.

The engine (engine_addons/opinion_reader.py) adds to each parse the probability of every
kind and the likeliest fields. A proposal is made only when the reading is clear; the
form shows it in one step the resident confirms or changes, and asks what is unclear
as before, the likeliest fields first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from laikhe.vntext import normalize

# Phrases that ask how, where, what, whom or whether (normalised: folded, abbreviations
# expanded): a resident seeking information ("... thì mở chỗ nào", "làm chữ ký số được
# không", "thì gặp ai", "là phong trào gì", "bắt đầu từ bước nào", "chỉ em cách"). Not
# "bao giờ", "sao mãi", "không ai", "lúc nào" or a bare "?": a complaint asks those of the
# commune.
# Not after a negation: «không báo ai», «chẳng cán bộ nào», «chưa ai ... cả» complain.
_NOT_NEGATED: Final = r"(?<!khong )(?<!chang )(?<!chua )"
_ASKS: Final = re.compile(
    r"\b(?:the nao|lam sao|o dau|cho nao|kieu gi|la gi|bao lau|duoc khong|can gi"
    r"|bang cach nao|phai lam gi|go gi|khong a|nhung gi|(?:gap|hoi|lien he|tim) ai"
    rf"|{_NOT_NEGATED}(?:goi|bao|nho) ai"
    r"|la (?:cai|ngay|dip|viec|phong trao|chuong trinh|hoat dong) gi|(?:buoc|trang|hang) nao"
    r"|chi (?:(?:em|toi|minh|bac|chau|con|tui|giup|ho) )?(?:duong|cach)\b(?! day)"
    rf"|{_NOT_NEGATED}(?:web|can bo|phong|bo phan|noi|dia chi|ung dung|app"
    r"|giay to|so|loai|cach|muc|thu tuc|ngan hang|ben) nao(?! cung| ca)"
    r"|may (?:ngay|hom|thang|tuan|nam|lan|buoc)(?! nay)(?: \w+){0,3} (?:thi|moi|nua)|muc may"
    r"|mat may (?:ngay|hom|thang|tuan|nam)(?! roi| nay)"
    r"|bao nhieu|cho (?:(?:toi|em|minh|chau|bac|tui|con) )?xin(?! phep)|co phai"
    r"|(?:ho tro|giup|loi) gi)\b"
    r"|\b(?:duoc|khong) (?:chu|a|ha)$"
    # "... học cái gì?" closing the message, not "chẳng hiểu cái gì".
    r"|(?<!hieu )(?<!biet )(?<!duoc )\bcai gi(?: (?:vay|the|a|nhi|ha))?$"
    # "có / được ... không?" closing the message; "ai ... vậy?" (not "không thấy ai", "ai đó").
    r"|\b(?:co|duoc)\b.*\b(?:khong|chua)(?: a| vay| nhi| ha| the)?$"
    rf"|{_NOT_NEGATED}(?<!thay )\bai\b(?! do\b| cung\b| biet\b)"
    r".*\b(?:vay|the|nhi|ha)\b"
)


def asks_how(text: str) -> bool:
    """The message asks how, where, what or whether, with or without diacritics."""
    return _ASKS.search(normalize(text)) is not None


# Parse-data key the engine writes (engine_addons.opinion_reader.OPINION).
OPINION: Final = "opinion"
# The kinds a resident's form can take, as the reader names them. A message that starts
# the form itself is an opinion; a question for staff comes from an FAQ question sent on.
OPINION_KINDS: Final = ("phan_anh", "kien_nghi", "gop_y")
# The reader's class for an opinion of unsaid kind (engine_addons.opinion_reader.UNSAID).
UNSAID: Final = "y_kien"
FORM_KINDS: Final = (*OPINION_KINDS, "cau_hoi")
# Chosen on tests/conversation/dev.yml (scripts/compare_readers.py, then make
# conversation-report ARGS="--set dev"): a field read with at least this probability was
# right in 62 of 64 development opinions (78 % of them); below it, the field is asked.
# A kind with at least half the opinion's probability was right in 70 of 74.
KIND_MIN: Final = 0.5
FIELD_MIN: Final = 0.5
# Fields put first when the field is asked.
LIKELY_FIELDS: Final = 2


@dataclass(frozen=True)
class Proposal:
    kind: str | None
    category: str | None
    likely_categories: tuple[str, ...]

    def as_slot(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "category": self.category,
            "likely": list(self.likely_categories),
        }

    @classmethod
    def from_slot(cls, value: Any) -> Proposal | None:
        if not isinstance(value, dict):
            return None
        likely = value.get("likely") or []
        return cls(
            kind=value.get("kind") if isinstance(value.get("kind"), str) else None,
            category=value.get("category") if isinstance(value.get("category"), str) else None,
            likely_categories=tuple(str(code) for code in likely if isinstance(code, str)),
        )


# The kinds' own names ("tôi muốn phản ánh ..."): a resident who names one means it. On
# the development set the one kind named was the labelled kind in 10 of 10 opinions.
KIND_WORDS: Final = {"phan anh": "phan_anh", "kien nghi": "kien_nghi", "gop y": "gop_y"}
# Next, the words of a request: «đề nghị», «nhờ xã / cán bộ / ủy ban / thôn», «xin xã /
# ủy ban / cán bộ». In the development sets dev..heldout10, 271 of the 274 opinions with
# them were labelled kiến nghị; the reader, trained on few of them, took «nhờ xã ...» for
# a report.
REQUEST_WORDS: Final = (
    "de nghi",
    *(f"nho {who}" for who in ("xa", "can bo", "uy ban", "thon")),
    *(f"xin {who}" for who in ("xa", "uy ban", "can bo")),
)


def kind_in_words(text: str) -> str | None:
    """The kind the text names, when it names exactly one; else kiến nghị when it uses the
    words of a request."""
    padded = f" {normalize(text)} "
    named = {kind for words, kind in KIND_WORDS.items() if f" {words} " in padded}
    if named:
        return named.pop() if len(named) == 1 else None
    return "kien_nghi" if any(f" {words} " in padded for words in REQUEST_WORDS) else None


def propose(
    reading: Any,
    categories: Collection[str],
    kinds: tuple[str, ...] = FORM_KINDS,
    *,
    text: str = "",
    field_read: bool = True,
) -> Proposal | None:
    """The kind (one of `kinds`) and field a message makes clear (each None when it does
    not), and the likeliest configured fields; None when nothing usable is read. A kind
    the text names wins over the reading; `field_read=False` (a message that says no
    matter, "phản ánh" alone) proposes no field."""
    named = kind_in_words(text)
    if named is not None and named in kinds:
        reading = dict(reading) if isinstance(reading, Mapping) else {"kinds": {}, "fields": []}
        reading["kinds"] = {named: 1.0}
    if not isinstance(reading, Mapping):
        return None
    fields = reading.get("fields")
    read = reading.get("kinds")
    if not isinstance(read, Mapping) or not isinstance(fields, list):
        return None
    shares = {kind: float(read.get(kind) or 0.0) for kind in kinds}
    # An opinion whose kind its words do not say ("gửi góp ý" alone) weighs against every
    # kind: a kind is proposed only when the reading itself is clear.
    total = sum(shares.values()) + float(read.get(UNSAID) or 0.0)
    kind = None
    if kinds and total > 0:
        best = max(kinds, key=lambda k: shares[k])
        kind = best if shares[best] / total >= KIND_MIN else None
    ranked = [
        (str(entry.get("name")), float(entry.get("confidence") or 0.0))
        for entry in fields
        if isinstance(entry, Mapping) and entry.get("name") in categories
    ]
    likely = tuple(code for code, _ in ranked[:LIKELY_FIELDS])
    category = ranked[0][0] if field_read and ranked and ranked[0][1] >= FIELD_MIN else None
    if kind is None and category is None and not likely:
        return None
    return Proposal(kind=kind, category=category, likely_categories=likely)


def reading_of(latest_message: Mapping[str, Any]) -> Any:
    return latest_message.get(OPINION)


def offers_to_send(latest_message: Mapping[str, Any]) -> bool:
    """The engine found the message probably an opinion, though not surely: the answer
    offers to send it to the commune."""
    reading = reading_of(latest_message)
    return isinstance(reading, Mapping) and reading.get("offer") is True


def redirected_from(latest_message: Mapping[str, Any]) -> str | None:
    """The intent the engine read before it gave the message another route (an action
    whose "how do I ..." it answered with the FAQ, say), if any."""
    reading = reading_of(latest_message)
    if not isinstance(reading, Mapping):
        return None
    intent = reading.get("redirected_from")
    return intent if isinstance(intent, str) else None
