"""Vietnamese text normalisation used for matching (NLU tokens, keyword look-ups).

Citizens type the same sentence in many ways: with or without diacritics, with the
tone mark on either vowel ("hòa" / "hoà"), in NFC or NFD (some iOS / macOS keyboards
send decomposed text), in upper case, and with chat abbreviations ("ko", "mk", "dk").
Everything here maps those variants onto one folded, lower-case, space-separated form
so that a matcher or an NLU featuriser sees identical input.

Pure standard library on purpose: this module is imported both by the app and by the
Rasa engine (through ``engine_addons.vietnamese``), whose virtualenvs share nothing
else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ABBREVIATIONS",
    "NormalizedToken",
    "fold_diacritics",
    "nfc",
    "normalize",
    "normalize_tone_placement",
    "tokenize_with_offsets",
]


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (composed) form."""
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------------------
# Tone placement
# --------------------------------------------------------------------------------------
#
# Convention: the "new style" (kiểu mới) -- the tone mark sits on the MAIN vowel of the
# syllable. In practice the two styles only disagree on open syllables ending in
# "oa", "oe" and "uy":
#
#     old style (kiểu cũ):  hòa  khỏe  thúy
#     new style (chosen):   hoà  khoẻ  thuý
#
# Both spellings, and misplaced ones such as "qúy" or "hòang", are rewritten to the new
# style. The rule is purely positional, so it is deterministic and needs no dictionary;
# the old style would need the same machinery with a different constant.
#
# Method: split the word into onset + vowel cluster + coda, strip the tone, then put
# it back on the vowel the rule designates. Words that do not parse as one Vietnamese
# syllable (foreign words, codes, words with two tone marks) are returned unchanged.

# Combining marks that encode the five Vietnamese tones (NFD form).
_TONE_MARKS: Final = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Vowel letters after the tone has been removed (quality marks kept).
_VOWELS: Final = frozenset("aăâeêioôơuưy")
# The same vowels in NFD, i.e. without their quality marks.
_PLAIN_VOWELS: Final = frozenset("aeiouy")
# Vowels carrying a quality mark (breve, circumflex, horn); they always take the tone.
_MARKED_VOWELS: Final = frozenset("ăâêôơư")
_ONSETS: Final = frozenset(
    {"", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n"}
    | {"ng", "ngh", "nh", "p", "ph", "q", "qu", "r", "s", "t", "th", "tr", "v", "x"}
)
_CODAS: Final = frozenset({"", "c", "ch", "m", "n", "ng", "nh", "p", "t"})
# Open-syllable pairs whose main vowel is the second letter: the only place where the
# old and new styles differ.
_NEW_STYLE_PAIRS: Final = frozenset({"oa", "oe", "uy"})
# Combining marks that NFC could not absorb into a letter. They count as part of the
# word around them, both here and in the tokenizer, so that a stray mark is never
# separated from (and later re-attached to) a different letter.
_COMBINING: Final = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
# A run of letters after NFC; tone placement is decided per run. It starts on a letter
# so a stray mark in front of a word (after "-", say) is never pulled into it.
_LETTER_RUN: Final = re.compile(rf"[^\W\d_](?:[^\W\d_]|{_COMBINING})*")


def _split_tone(word: str) -> tuple[str, str | None, int]:
    """Split an NFC word into (toneless NFC word, tone mark or None, tone count).

    A tone mark sitting on a consonant (garbage such as "d" + U+0309) counts as
    "several tones", so the caller leaves the word alone rather than move the mark.
    """
    tone: str | None = None
    count = 0
    base = ""
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", word):
        if char in _TONE_MARKS:
            tone = char
            count += 1 if base.lower() in _PLAIN_VOWELS else 2
        else:
            kept.append(char)
            if not unicodedata.combining(char):
                base = char
    return nfc("".join(kept)), tone, count


def _tone_index(base: str) -> int | None:
    """Index in ``base`` (toneless, NFC) of the letter that should carry the tone.

    Returns None when ``base`` is not a single well-formed Vietnamese syllable.
    """
    lower = base.lower()
    start = 0
    while start < len(lower) and lower[start] not in _VOWELS:
        start += 1
    end = start
    while end < len(lower) and lower[end] in _VOWELS:
        end += 1
    onset, cluster, coda = lower[:start], lower[start:end], lower[end:]
    # "qu" and "gi" + vowel: the u / i belongs to the onset, not the nucleus, so
    # "quý" keeps the mark on y and "già" on a.
    if (onset == "q" and cluster.startswith("u")) or (
        onset == "g" and cluster.startswith("i") and len(cluster) > 1
    ):
        onset, cluster, start = onset + cluster[0], cluster[1:], start + 1
    if onset not in _ONSETS or coda not in _CODAS or not 1 <= len(cluster) <= 3:
        return None
    marked = [i for i, vowel in enumerate(cluster) if vowel in _MARKED_VOWELS]
    if marked:
        # "ươ" has two marked vowels; the tone goes on the second (người, thuở).
        return start + marked[-1]
    if len(cluster) == 1:
        return start
    if len(cluster) == 3:
        # oai, oay, uyu, oeo: the middle vowel is the main one (ngoái, khuỷu).
        return start + 1
    if coda or cluster in _NEW_STYLE_PAIRS:
        # Closed syllables (hoàn, toán) and the new-style open pairs (hoà, thuý).
        return start + 1
    # Remaining open pairs end in an off-glide: tài, báo, mía, múa, túi.
    return start


def _place_tone(word: str) -> str:
    """Re-place the tone of one NFC letter run; return it unchanged if unsure."""
    base, tone, count = _split_tone(word)
    if count != 1 or tone is None:
        # No tone: nothing to move. Several tones: not one syllable, leave it alone.
        return word
    index = _tone_index(base)
    if index is None:
        return word
    toned = nfc(base[index] + tone)
    return base[:index] + toned + base[index + 1 :]


def normalize_tone_placement(text: str) -> str:
    """Return NFC ``text`` with every syllable's tone mark in the new-style position.

    Case and everything that is not a Vietnamese syllable are preserved, e.g.
    ``"Hòa thuận, QÚY"`` -> ``"Hoà thuận, QUÝ"``.
    """
    return _LETTER_RUN.sub(lambda match: _place_tone(match.group()), nfc(text))


# --------------------------------------------------------------------------------------
# Diacritic folding
# --------------------------------------------------------------------------------------

# The "Combining Diacritical Marks" block holds every Vietnamese tone and quality mark.
# Limiting the strip to that block keeps marks that are structural in other scripts
# (Thai vowels, Devanagari viramas, ...) instead of corrupting them.
_COMBINING_DIACRITICS: Final = re.compile("[\u0300-\u036f]")
# đ/Đ are letters in their own right (no decomposition), so they need a table.
_D_STROKE: Final = str.maketrans({"đ": "d", "Đ": "D"})


def fold_diacritics(text: str) -> str:
    """Strip all Vietnamese diacritics (tone and quality marks), mapping đ->d, Đ->D."""
    stripped = _COMBINING_DIACRITICS.sub("", unicodedata.normalize("NFD", text))
    return nfc(stripped).translate(_D_STROKE)


# --------------------------------------------------------------------------------------
# Abbreviations and teencode
# --------------------------------------------------------------------------------------

# Keys and values are folded lower case, because lookup happens after folding ("đc"
# and "dc" are the same key). Only forms with ONE dominant meaning in citizens' chat
# about public services are listed; a wrong expansion costs more than a missed one, so
# ambiguous forms are deliberately absent:
#   bn   bạn / bao nhiêu         tt   thông tin / thủ tục / thanh toán / tiếp tục
#   hs   hồ sơ / học sinh        kg   không / kilogram
#   kh   không / khách hàng      hk   không / học kỳ
#   hn   Hà Nội / hôm nay        bh   bao giờ / bảo hiểm
#   hong hồng (sổ hồng, a name) / hông / không
#   cmt  chứng minh thư / comment
#   ca   công an / ca (shift) / cá
#   v    vậy / và / vâng         a, e anh, em -- but "à" also folds to "a"
#   dn   doanh nghiệp / đăng nhập / Đà Nẵng      ck   chuyển khoản / chồng
#   kn   khiếu nại / kết nối      tn   tin nhắn / thanh niên      t    tôi / tháng
# "k" is kept as "không" even after a number: "tk mức 2 k đăng nhập được" is far more
# common here than "50 k" for 50 nghìn (prices are written "50k", one token).
# Known residual risk: "mk" is also teen shorthand for "mình"; in this bot "quên mk"
# (password) dominates. "dk"/"đk" can mean "điều kiện"; "đăng ký" dominates here.
# No expansion word is itself a key, which keeps normalize() idempotent.
ABBREVIATIONS: Final[dict[str, str]] = {
    # không
    "k": "khong",
    "ko": "khong",
    "khg": "khong",
    "hok": "khong",
    # common chat shorthand
    "dc": "duoc",
    "j": "gi",
    "ntn": "nhu the nao",
    "vs": "voi",
    "cx": "cung",
    "r": "roi",
    "ng": "nguoi",
    "z": "vay",
    "bik": "biet",
    "bjk": "biet",
    "lm": "lam",
    "trc": "truoc",
    "hnay": "hom nay",
    "onl": "online",
    "mn": "moi nguoi",
    "mik": "minh",
    "nhiu": "nhieu",
    "thui": "thoi",
    "oy": "roi",
    "ktra": "kiem tra",
    "tl": "tra loi",
    "hdsd": "huong dan su dung",
    "tks": "cam on",
    "thks": "cam on",
    "thx": "cam on",
    "oke": "ok",
    "okie": "ok",
    "oki": "ok",
    "okela": "ok",
    # accounts and identity
    "mk": "mat khau",
    "tk": "tai khoan",
    "stk": "so tai khoan",
    "dk": "dang ky",
    "dky": "dang ky",
    "dt": "dien thoai",
    "sdt": "so dien thoai",
    "cccd": "can cuoc cong dan",
    "cmnd": "chung minh nhan dan",
    "gks": "giay khai sinh",
    "gplx": "giay phep lai xe",
    "dkkd": "dang ky kinh doanh",
    "bhyt": "bao hiem y te",
    "bhxh": "bao hiem xa hoi",
    # VNeID misspellings: a lower-case "l" typed (or OCR'd) for the capital "I".
    "vneld": "vneid",
    "vnied": "vneid",
    "vn-eid": "vneid",
    # administration
    "nq": "nghi quyet",
    # "nq57" is usually typed as one word; split it so it matches "nghị quyết 57".
    "nq57": "nghi quyet 57",
    "lk": "lai khe",
    "cb": "can bo",
    "nvh": "nha van hoa",
    "cty": "cong ty",
    "kd": "kinh doanh",
    "hkd": "ho kinh doanh",
    "tmdt": "thuong mai dien tu",
    "khcn": "khoa hoc cong nghe",
    "cntt": "cong nghe thong tin",
    "dvcqg": "dich vu cong quoc gia",
    "fb": "facebook",
    "yt": "youtube",
    "cds": "chuyen doi so",
    "dvc": "dich vu cong",
    "ubnd": "uy ban nhan dan",
    "csgt": "canh sat giao thong",
    "tphcm": "thanh pho ho chi minh",
    "hcm": "ho chi minh",
}


# --------------------------------------------------------------------------------------
# Tokenisation with offsets into the original string
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NormalizedToken:
    """One normalised token; ``start``/``end`` index the ORIGINAL input string."""

    text: str
    start: int
    end: int


# A word starts with a letter or digit (not "_", so "*_đậm_*" markup splits) and may
# carry combining marks NFC could not absorb. Starting on a mark is not allowed: a
# stray mark folds away, and the token would then no longer match its own pattern.
_WORD: Final = rf"[^\W_](?:[^\W_]|{_COMBINING})*"
_TOKEN_PATTERN: Final = re.compile(
    # URLs and e-mail addresses stay whole: users paste them, and splitting them into
    # "https", "dichvucong", "gov", ... only adds noise. A URL must end on a word
    # character or "/", which drops sentence punctuation such as "xem https://a.vn."
    r"(?P<url>(?i:https?://|www\.)[^\s<>\"']*[\w/])"
    # The look-behind only lets an address start where a run starts, which keeps a
    # long "a.a.a.a..." string linear instead of rescanning it at every dot.
    r"|(?P<email>(?<![\w.+-])[\w.+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+)"
    # HTML-ish tags from formatted messages are markup, not words.
    r"|(?P<tag></?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>)"
    # Words; a hyphen between words keeps ticket codes ("LK-2026-000123") whole, and
    # . , / : between digits keeps "1.500.000", "12/03/2026" and "08:30" whole.
    rf"|(?P<word>{_WORD}(?:(?:-|(?<=\d)[.,/:](?=\d)){_WORD})*)"
)


def _composed(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Compose ``text`` cluster by cluster; remember each char's original cluster span.

    A cluster is a base character plus the combining marks after it; NFC never
    merges across clusters for Latin script, so composing them one by one matches
    NFC while keeping track of where every composed character came from. Returns the
    composed string and, per composed character, its cluster's (start, end) in
    ``text``. NFD "hoà" (4 code points) becomes "hoà" (3) with spans (0,1) (1,2) (2,4).
    """
    spans: list[tuple[int, int]] = []
    pieces: list[str] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or not unicodedata.combining(text[index]):
            piece = nfc(text[start:index])
            pieces.append(piece)
            spans.extend([(start, index)] * len(piece))
            start = index
    return "".join(pieces), spans


def _normalize_word(word: str) -> list[str]:
    """Normalise one composed token into one or more folded words.

    Tone placement is not applied here: folding removes every tone mark, so any
    placement ("hòa" or "hoà") folds to the same string and the step would be a no-op.
    """
    # Lower-case before folding: lower() may emit combining marks ("İ" -> "i" + U+0307)
    # and folding then removes them.
    folded = fold_diacritics(word.lower())
    expansion = ABBREVIATIONS.get(folded)
    return expansion.split() if expansion is not None else [folded]


def _iter_tokens(text: str) -> Iterator[NormalizedToken]:
    # Tokenise composed text so NFC and NFD input give identical tokens, then map each
    # match back to the original clusters. Already-NFC input (the usual case) maps 1:1.
    if unicodedata.is_normalized("NFC", text):
        composed, spans = text, None
    else:
        composed, spans = _composed(text)
    for match in _TOKEN_PATTERN.finditer(composed):
        if match.lastgroup == "tag":
            continue
        start, end = match.span()
        if spans is not None:
            start, end = spans[start][0], spans[end - 1][1]
        for word in _normalize_word(match.group()):
            yield NormalizedToken(word, start, end)


def tokenize_with_offsets(text: str) -> list[NormalizedToken]:
    """Split ``text`` into normalised tokens that remember where they came from.

    Each token's ``text`` is folded, lower case and abbreviation-expanded;
    ``text[start:end]`` of the input (NFC or NFD alike) is the span it came from. An
    abbreviation expanding to several words yields several tokens sharing one span.
    Punctuation, emoji and markup produce no tokens.
    """
    return list(_iter_tokens(text))


def normalize(text: str) -> str:
    """Full matching pipeline: NFC, lower case, fold, expand abbreviations, tidy.

    Punctuation and markup are dropped, whitespace collapses to single spaces, and
    hyphenated codes, numbers with separators, URLs and e-mails survive as one word.
    ``normalize("Làm sao ĐK tài khoản VNeID?")`` -> ``"lam sao dang ky tai khoan vneid"``.
    Defined through ``tokenize_with_offsets`` so both always agree.
    """
    return " ".join(token.text for token in _iter_tokens(text))
