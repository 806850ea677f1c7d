"""Long texts cut into the pieces a channel accepts (Telegram 4,096 characters, Zalo 2,000)."""

from __future__ import annotations

from typing import Final

# Where a piece may end, best first: a line end, a sentence end, a space.
_BREAKS: Final = ("\n", ". ", "? ", "! ", "; ", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a line end, else a sentence end, else
    a space, when one is not too far back (else at the limit)."""
    chunks = []
    while len(text) > limit:
        cut = limit
        for mark in _BREAKS:
            at = text.rfind(mark, 0, limit - len(mark) + 1)
            if at > limit // 2:
                cut = at + (0 if mark == "\n" else len(mark.rstrip()))
                break
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    chunks.append(text)
    return chunks
