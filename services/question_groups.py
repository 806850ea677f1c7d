"""Group the questions the assistant could not answer by similarity, so the commune sees
what residents ask most and what to add to the FAQ. Pure: no database, no clock.

Each text is masked (phones, e-mails: reports.data.mask_contacts) before anything else,
then folded with laikhe.vntext.normalize (diacritics, case, chat abbreviations), so
"mat mang" and "Mất mạng?" are one wording. Filler words of a question ("ở đâu",
"thế nào", "ạ") are dropped, and wordings are compared with rapidfuzz's
token_set_ratio: word order and extra words ("lịch tiêm phòng dại cho chó ở đâu" /
"tiêm phòng dại") do not split a group. Grouping is greedy from the most frequent
wording: it takes every wording similar to it, then the next one left does the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from rapidfuzz import fuzz, process

from laikhe.vntext import fold_diacritics as fold
from laikhe.vntext import nfc, normalize
from reports.data import mask_contacts

# Similarity (0-100) from which two wordings are one question. Measured on the test set
# in tests/unit/test_question_groups.py: same-topic pairs score 80-100 once filler is
# gone, different topics sharing a word or two ("... ở đâu") stay under 70.
SIMILARITY: Final = 80
# Folded words that carry no topic: question words, politeness, pronouns.
# Not "nha" (nhà), "lam" (làm), "gio" (giờ): they fold from topic words too.
FILLER: Final = frozenset(
    {
        "a",
        "ah",
        "ha",
        "vay",
        "nhe",
        "u",
        "the",
        "nao",
        "nhu",
        "sao",
        "o",
        "dau",
        "gi",
        "la",
        "co",
        "khong",
        "duoc",
        "bi",
        "cho",
        "hoi",
        "xin",
        "minh",
        "em",
        "toi",
        "anh",
        "chi",
        "ban",
        "ad",
        "admin",
        "oi",
        "cach",
        "muon",
        "can",
        "phai",
        "thi",
        "voi",
    }
)


@dataclass
class QuestionGroup:
    """Questions asked with similar words: how many, the commonest wording (masked),
    when first and last asked."""

    example: str
    count: int
    first_seen: datetime
    last_seen: datetime
    wordings: Counter[str] = field(default_factory=Counter)


def topic_key(text: str) -> str:
    """The folded words of a question that say what it is about."""
    words = normalize(text).split()
    kept = [word for word in words if word not in FILLER]
    return " ".join(kept or words)


def shown_text(text: str) -> str:
    """A question as staff see it: contact details masked, spacing tidied."""
    return " ".join(mask_contacts(nfc(text)).split())


def _commonest(wordings: Counter[str]) -> str:
    """The commonest wording; among equals the one typed with diacritics (easier to read)."""

    def marks(wording: str) -> int:
        return sum(a != b for a, b in zip(wording, fold(wording), strict=True))

    return min(wordings, key=lambda w: (-wordings[w], -marks(w), w))


def group_questions(
    questions: Iterable[tuple[str, datetime]], *, similarity: int = SIMILARITY
) -> list[QuestionGroup]:
    """Groups of (text, when asked), most frequent first (then the most recent)."""
    by_key: dict[str, QuestionGroup] = {}
    for text, at in questions:
        shown = shown_text(text)
        key = topic_key(shown)
        if not key:
            continue
        group = by_key.get(key)
        if group is None:
            by_key[key] = QuestionGroup(shown, 0, at, at)
            group = by_key[key]
        group.count += 1
        group.first_seen = min(group.first_seen, at)
        group.last_seen = max(group.last_seen, at)
        group.wordings[shown] += 1

    # The commonest wording not yet grouped leads a group and takes every remaining
    # wording similar to it: one rapidfuzz call per group, its query processed once
    # (a few thousand questions in well under a second).
    remaining = sorted(by_key, key=lambda k: (-by_key[k].count, k))
    groups: list[QuestionGroup] = []
    while remaining:
        leader, rest = remaining[0], remaining[1:]
        group = by_key[leader]
        matches = process.extract(
            leader, rest, scorer=fuzz.token_set_ratio, score_cutoff=similarity, limit=None
        )
        taken = set()
        for _, _, index in matches:
            part = by_key[rest[index]]
            group.count += part.count
            group.first_seen = min(group.first_seen, part.first_seen)
            group.last_seen = max(group.last_seen, part.last_seen)
            group.wordings.update(part.wordings)
            taken.add(index)
        groups.append(group)
        remaining = [key for index, key in enumerate(rest) if index not in taken]
    for group in groups:
        group.example = _commonest(group.wordings)
    groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.example))
    return groups
