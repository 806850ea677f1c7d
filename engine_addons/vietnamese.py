"""Rasa 3 tokenizer that feeds the NLU pipeline normalised Vietnamese tokens.

Citizens write "đăng ký", "dang ky", "đk" and NFD-decomposed "đăng ký" for the same
thing. Tokenising with ``laikhe.vntext`` makes all of them the same tokens ("dang",
"ky"), so featurisers and classifiers learn one vocabulary instead of four, while each
token's start/end still point into the message text exactly as the user typed it
(entity extraction slices the original text with those offsets).

Use it in config.yml as ``- name: engine_addons.vietnamese.VietnameseTokenizer``; the
engine must run with the repository root on PYTHONPATH so ``laikhe`` imports.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import (
    ACTION_NAME,
    INTENT,
    INTENT_RESPONSE_KEY,
    RESPONSE_IDENTIFIER_DELIMITER,
)
from rasa.shared.nlu.training_data.message import Message

from laikhe.vntext import tokenize_with_offsets

# Attributes holding identifiers (intent / action names, "faq/ask_x" keys) rather than
# user language; they keep Rasa's own split-on-symbol behaviour.
_NAME_ATTRIBUTES = frozenset({INTENT, ACTION_NAME, INTENT_RESPONSE_KEY})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Tokenizes with ``laikhe.vntext``: folded, lower-cased, abbreviation-expanded.

    ``Token.text`` and ``Token.lemma`` are the normalised word; ``start``/``end`` index
    the original attribute text. An abbreviation expanding to several words ("mk" ->
    "mat", "khau") gives several tokens sharing the abbreviation's span.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config (same keys as WhitespaceTokenizer)."""
        return {
            # Flag to check whether to split intents
            "intent_tokenization_flag": False,
            # Symbol on which intent should be split
            "intent_split_symbol": "_",
            # Regular expression to further split the normalised tokens
            "token_pattern": None,
            # Symbol on which prefix should be split
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Pure standard library on top of Rasa itself."""
        return []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        """Creates a new component (see parent class for full docstring)."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenizes the text of the provided attribute of the incoming message."""
        text = message.get(attribute)
        if attribute in _NAME_ATTRIBUTES and self._is_name(text, attribute):
            # The base class routes names to _split_name itself, except
            # INTENT_RESPONSE_KEY in process() (it checks the "/" delimiter constant
            # instead); route it here so names never go through language folding.
            return self._split_name(message, attribute)

        tokens = [
            Token(token.text, token.start, token.end, lemma=token.text)
            for token in tokenize_with_offsets(text)
        ]
        if not tokens:
            # Emoji- or punctuation-only text: like WhitespaceTokenizer, keep the whole
            # text as one token, because featurisers expect at least one.
            stripped = text.strip()
            start = text.find(stripped) if stripped else 0
            tokens = [Token(stripped, start, start + len(stripped), lemma=stripped)]
        return self._apply_token_pattern(tokens)

    @staticmethod
    def _is_name(text: Any, attribute: str) -> bool:
        # _split_name unpacks "intent/response_key" into exactly two parts.
        if attribute == INTENT_RESPONSE_KEY:
            return isinstance(text, str) and text.count(RESPONSE_IDENTIFIER_DELIMITER) == 1
        return isinstance(text, str)

    def _apply_token_pattern(self, tokens: list[Token]) -> list[Token]:
        """Applies ``token_pattern`` to the normalised token texts.

        The base implementation computes sub-token offsets inside ``token.text``, which
        is the normalised form and no longer lines up with the original characters;
        each piece therefore keeps its parent token's original span instead.
        """
        if not self.token_pattern_regex:
            return tokens
        final_tokens: list[Token] = []
        for token in tokens:
            pieces = [piece for piece in self.token_pattern_regex.findall(token.text) if piece]
            if not pieces:
                final_tokens.append(token)
            final_tokens.extend(
                Token(piece, token.start, token.end, data=token.data, lemma=piece)
                for piece in pieces
            )
        return final_tokens
