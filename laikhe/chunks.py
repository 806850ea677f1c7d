"""Long texts cut into the pieces a channel accepts (Telegram 4,096 characters, Zalo 2,000),
and a turn's texts joined into as few messages as fit (Zalo)."""

from __future__ import annotations

from collections.abc import Iterable
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


# Between two texts of one turn sent as one message.
JOINER: Final = "\n\n"


def fewest_messages(texts: Iterable[str], limit: int) -> list[str]:
    """The texts in order as few messages of at most `limit` characters: each text cut
    as split_text cuts it, then consecutive pieces joined with a blank line while the
    message stays within the limit (one notification per answer, and a platform's
    pacing waits only between messages). The last text ends the last message. Blank
    texts are left out."""
    messages: list[str] = []
    for text in texts:
        for piece in split_text(text, limit):
            if not piece.strip():
                continue
            if messages and len(messages[-1]) + len(JOINER) + len(piece) <= limit:
                messages[-1] += JOINER + piece
            else:
                messages.append(piece)
    return messages
