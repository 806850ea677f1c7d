"""The numbered choices each Zalo chat has on screen, so "2" or a typed title presses
that button. Kept in memory: after a restart a typed number goes to the engine as text,
whose button steps read numbers too (actions/button_steps.py)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from laikhe.choices import Button

MAX_CHATS: Final = 10_000


class ChoiceMemory:
    def __init__(self, max_chats: int = MAX_CHATS) -> None:
        self._chats: OrderedDict[str, tuple[Button, ...]] = OrderedDict()
        self._max = max_chats

    def show(self, chat_id: str, buttons: tuple[Button, ...]) -> None:
        """The chat's newest message with choices replaces the ones before it; a turn
        without any leaves none (a number then means the number)."""
        self._chats.pop(chat_id, None)
        if buttons:
            self._chats[chat_id] = buttons
            while len(self._chats) > self._max:
                self._chats.popitem(last=False)

    def on_screen(self, chat_id: str) -> tuple[Button, ...]:
        return self._chats.get(chat_id, ())
