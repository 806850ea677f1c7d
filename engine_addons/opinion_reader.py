"""Reads a message as an opinion to send: a report from a question, its kind and field.

Residents describe a problem in the words of an FAQ topic ("mẹ tôi đăng ký định danh
... mà app vẫn báo đang chờ duyệt"), so the intent classifiers, trained to find the
topic, answer them with the topic's brochure. This component asks a second question of
the same features: is the message an opinion (phản ánh, kiến nghị, góp ý), a question,
or neither; and which field of the commune's categories it concerns.

It runs in the engine, after the intent vote and the ResponseSelector, because only there
can it change what the turn does: a message the intent classifiers read as `faq` or
`out_of_scope` but that is confidently an opinion becomes `give_feedback` (or
`business_proposal`, whichever of the two the classifiers ranked higher), so the rules
start the form on it and the form reads the text as the draft content. A message that
is only probably an opinion keeps its FAQ answer and is marked `offer`, so the answer
offers to send it to the commune. The other way round, a message read as `give_feedback`
that is clearly a question with an FAQ answer gets the answer first. A message that asks
how, where or what, with a sure FAQ answer, leans to the answer (`asks_with_a_sure_answer`).
A message that asks how to do what an action does (see one's tickets, delete one's data,
reach staff) gets the answer that explains it, with the action offered
(`explained_first`). A message that asks with a sure answer but is read unsurely (below
the fallback's threshold; out_of_scope, bot_challenge or report_misinformation below their
own; a `faq` less sure than its answer) gets the answer, not the fallback's menu or an
unasked form (`doubted`).

Its reading is added to the parse data under ``opinion`` (kinds with probabilities, the
three likeliest fields): the form shows the likely kind and field in one step the
resident confirms; nothing is applied unconfirmed.

Training examples: examples whose metadata names a ``kind`` and ``field``, in
nlu/opinions.yml; FAQ examples are questions and the conversation intents are neither.

Features: its own TF-IDF of word 1-2-grams and character 2-4-grams of the normalised text
(laikhe.vntext, as the tokenizer normalises), not the pipeline's count features. On the
development set the same regression read the field right in 75 of 82 opinions on these
features against 66 on the pipeline's, and the kind as well (75 against 74;
scripts/compare_readers.py, docs/conversation-report.md). Teaching the field with the FAQ
examples (each topic mapped to a field) made it worse (72 of 82): they are questions,
written unlike reports.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    METADATA,
    METADATA_EXAMPLE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from laikhe.opinion import asks_how
from laikhe.vntext import normalize

logger = logging.getLogger(__name__)

# What the ResponseSelector adds, and the intent key Rasa gives a retrieval intent.
RESPONSE_SELECTOR: Final = "response_selector"
FULL_RETRIEVAL_INTENT: Final = "full_retrieval_intent_name"
# Parse-data key of the reading.
OPINION: Final = "opinion"
QUESTION: Final = "cau_hoi"
NEITHER: Final = "khac"
OPINION_KINDS: Final = ("phan_anh", "kien_nghi", "gop_y")
# An opinion whose kind the example does not say ("tôi muốn góp ý", "phản ánh đường hỏng"
# in the older give_feedback examples): it counts as an opinion, never proposed as a kind.
UNSAID: Final = "y_kien"
KINDS: Final = (*OPINION_KINDS, UNSAID, QUESTION, NEITHER)
FEEDBACK: Final = "give_feedback"
BUSINESS: Final = "business_proposal"
# Intents whose examples are neither an opinion nor a question about the services.
NEITHER_INTENTS: Final = frozenset(
    {
        "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help",
        "out_of_scope", "cancel", "request_human", "check_ticket_status", "delete_my_data",
    }
)  # fmt: skip
FIELDS_SHOWN: Final = 3

START = "start_threshold"
OFFER = "offer_threshold"
QUESTION_BACK = "question_threshold"
ASKED_BACK = "asked_question_threshold"
SURE_ANSWER = "asked_answer_confidence"
REDIRECT_FROM = "redirect_from"
EXPLAIN_FIRST = "explain_first"
DOUBTED = "doubted"
DOUBTED_BELOW = "doubted_below"
UNSURE_ANSWER = "unsure_answer"
KIND_C = "kind_C"
FIELD_C = "field_C"
# What the saved regressions and vectorizers are made of: loading refuses anything else.
TRUSTED_TYPES: Final = frozenset(
    {
        "builtins.dict", "builtins.list", "builtins.tuple", "builtins.slice", "builtins.str",
        "builtins.float", "builtins.int", "builtins.bool", "builtins.NoneType", "builtins.set",
        "numpy.dtype", "numpy.ndarray", "numpy.float64", "numpy.int64", "numpy.int32",
        "numpy.str_", "scipy.sparse._csr.csr_matrix",
        "sklearn.pipeline.Pipeline", "sklearn.pipeline.FeatureUnion",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "engine_addons.opinion_reader.normalized",
    }
)  # fmt: skip


def example_metadata(message: Message) -> Mapping[str, Any]:
    metadata = message.get(METADATA) or {}
    example = metadata.get(METADATA_EXAMPLE) if isinstance(metadata, dict) else None
    return example if isinstance(example, dict) else {}


def kind_label(message: Message) -> str | None:
    """The kind an example teaches, or None when it teaches none."""
    kind = example_metadata(message).get("kind")
    if kind in KINDS:
        return str(kind)
    intent = message.get(INTENT)
    if intent == "faq":
        return QUESTION
    if intent == FEEDBACK:
        return UNSAID
    if intent == BUSINESS:
        return "kien_nghi"  # a business asks the commune for support
    if intent in NEITHER_INTENTS:
        return NEITHER
    return None


def field_label(message: Message) -> str | None:
    """The field an example teaches: only an opinion's, from its metadata."""
    field = example_metadata(message).get("field")
    return field if isinstance(field, str) and field else None


def opinion_share(kinds: Mapping[str, float]) -> float:
    return sum(kinds.get(kind, 0.0) for kind in (*OPINION_KINDS, UNSAID))


def redirected(
    intent: Mapping[str, Any],
    ranking: list[dict[str, Any]],
    kinds: Mapping[str, float],
    *,
    start: float,
    redirect_from: frozenset[str],
) -> list[dict[str, Any]] | None:
    """The new intent ranking when a message read as `redirect_from` is confidently an
    opinion (its share of opinion kinds at least `start`), else None.

    The opinion intent the classifiers ranked higher takes the opinion share as its
    confidence; the other intents share the rest in their old proportions, so the
    fallback's threshold and ambiguity checks keep their meaning."""
    if intent.get(INTENT_NAME_KEY) not in redirect_from:
        return None
    share = opinion_share(kinds)
    if share < start:
        return None
    scores = {entry[INTENT_NAME_KEY]: float(entry["confidence"]) for entry in ranking}
    target = BUSINESS if scores.get(BUSINESS, 0.0) > scores.get(FEEDBACK, 0.0) else FEEDBACK
    return _lead(ranking, target, share)


def faq_answer_key(message: Message) -> str | None:
    """The FAQ answer the ResponseSelector picked ("faq/vneid_register"), if any."""
    key = _selected(message).get("intent_response_key")
    return key if isinstance(key, str) and key.startswith("faq/") else None


def faq_answer_confidence(message: Message) -> float:
    """How sure the ResponseSelector is of that answer; 0 when it picked none."""
    return float(_selected(message).get("confidence") or 0.0)


def _selected(message: Message) -> dict[str, Any]:
    selector = message.get(RESPONSE_SELECTOR) or {}
    response = (selector.get("faq") or {}).get("response") or {}
    return response if isinstance(response, dict) else {}


def asks_with_a_sure_answer(*, asks: bool, answer_confidence: float, sure_answer: float) -> bool:
    """The message asks how, where or what (laikhe.opinion.asks_how) and the FAQ answer is
    a confident match: it keeps its answer (with the offer to send, when it reads as an
    opinion) rather than starting the form, and a `give_feedback` reading needs less to
    be taken as a question.

    A resident who tells their situation before asking ("mẹ tôi bị tiểu đường ... tôi
    muốn xem đơn thuốc thì mở chỗ nào") reads as a report to the kind regression, which
    learned questions from short FAQ examples; the asking phrase and a sure answer say
    otherwise."""
    return asks and answer_confidence >= sure_answer


def confirmed(
    intent: Mapping[str, Any],
    ranking: list[dict[str, Any]],
    kinds: Mapping[str, float],
    *,
    start: float,
) -> list[dict[str, Any]] | None:
    """The new intent ranking when the classifiers' own `give_feedback` or
    `business_proposal` is confidently an opinion to the reader too: the two agree, so
    the lower confidence ("phản ánh" alone, shorter than most examples) does not send
    it to the fallback. None when nothing changes."""
    name = intent.get(INTENT_NAME_KEY)
    share = opinion_share(kinds)
    if name not in (FEEDBACK, BUSINESS) or share < start:
        return None
    if float(intent.get("confidence") or 0.0) >= share:
        return None
    return _lead(ranking, str(name), share)


def answered_as_faq(
    intent: Mapping[str, Any],
    ranking: list[dict[str, Any]],
    kinds: Mapping[str, float],
    *,
    threshold: float,
    has_answer: bool,
    floor: float = 0.0,
) -> list[dict[str, Any]] | None:
    """The new intent ranking when a message read as `give_feedback` or
    `business_proposal` is a question (its question probability at least `threshold`)
    the FAQ has an answer to, else None: the resident gets the answer first, and can
    still send it («Chưa rõ»; the offer, when it reads as an opinion).

    `faq` keeps at least the confidence the classifiers had in the message: the reader
    changes the route, not how well the message was understood. With the question
    probability alone, a question between `threshold` and the fallback's 0.4 fell to the
    fallback instead (one dev sentence of tests/nlu/dev*.yml). `floor`: the confidence of a
    sure answer to a message that asks (`asks_with_a_sure_answer`), which it keeps too."""
    if intent.get(INTENT_NAME_KEY) not in (FEEDBACK, BUSINESS) or not has_answer:
        return None
    question = float(kinds.get(QUESTION, 0.0))
    if question < threshold:
        return None
    return _lead(ranking, "faq", max(question, float(intent.get("confidence") or 0.0), floor))


def explained_first(
    intent: Mapping[str, Any],
    ranking: list[dict[str, Any]],
    *,
    asks: bool,
    answer: str | None,
    explains: Mapping[str, Any],
) -> list[dict[str, Any]] | None:
    """The ranking of a message that asks how to do what an action does («xem tiến độ
    phiếu ở đâu», «muốn xóa dữ liệu thì làm thế nào»): `faq` leads with the action
    intent's confidence when the selected answer is the one that explains that action
    (`explains`: intent -> its FAQ answers), so the resident reads how it works first and
    the answer offers the action itself (actions/faq.py). None otherwise: «tra cứu phiếu»
    or «xóa dữ liệu của tôi», said as a request, still starts the action."""
    name = intent.get(INTENT_NAME_KEY)
    if not asks or answer is None or answer not in (explains.get(str(name)) or ()):
        return None
    return _lead(ranking, "faq", float(intent.get("confidence") or 0.0))


def explained_action(
    intent: Mapping[str, Any],
    ranking: list[dict[str, Any]],
    *,
    asks: bool,
    answer: str | None,
    explains: Mapping[str, Any],
) -> str | None:
    """The action whose "how do I ..." a message read as `faq` asks («muốn tra cứu ý kiến
    đã gửi thì làm thế nào»): the action intent ranks next, and the selected answer is the
    one that explains it (`explains`). Its answer then carries the action's button, as
    `explained_first` gives it when the action intent led. None otherwise: a question on
    the same answer that is not about the action («góp ý ở đây xử lý theo quy trình
    nào») gets the answer alone."""
    if not asks or answer is None or intent.get(INTENT_NAME_KEY) != "faq":
        return None
    runner_up = next(
        (str(entry[INTENT_NAME_KEY]) for entry in ranking if entry[INTENT_NAME_KEY] != "faq"), None
    )
    if runner_up is None or answer not in (explains.get(runner_up) or ()):
        return None
    return runner_up


def doubted(
    intent: Mapping[str, Any],
    ranking: list[dict[str, Any]],
    *,
    sure_question: bool,
    thresholds: Mapping[str, float],
    below: float,
    answer_confidence: float,
) -> list[dict[str, Any]] | None:
    """The ranking of a message that asks with a sure FAQ answer (`asks_with_a_sure_answer`)
    but was read as anything but an opinion with less than `below` (the fallback's
    threshold), or as one of the intents of `thresholds` with less than its threshold
    (`out_of_scope`, `bot_challenge`, `report_misinformation`: the words of a question the
    classifiers never saw): `faq` leads with the answer's confidence. «Con gái bảo tôi buôn
    bán thương mại điện tử, cái đó là thế nào hả?» is a question about the services;
    without this, the resident gets the fallback's menu or a form instead of the answer. A
    confident reading («shop lazada giao sai hàng thì làm sao», out_of_scope) stays.
    A `faq` reading less sure than its answer takes the answer's confidence.
    """
    name = intent.get(INTENT_NAME_KEY)
    if not sure_question or name in (FEEDBACK, BUSINESS):
        return None
    confidence = float(intent.get("confidence") or 0.0)
    if name == "faq":
        # Its own reading, less sure than the answer: not a reason for the fallback.
        return _lead(ranking, "faq", answer_confidence) if confidence < answer_confidence else None
    if confidence >= below and confidence >= thresholds.get(str(name), 0.0):
        return None
    return _lead(ranking, "faq", answer_confidence)


def answer_doubted(
    ranking: list[dict[str, Any]], answer_confidence: float, *, below: float
) -> list[dict[str, Any]] | None:
    """The ranking of a `faq` reading whose selected answer is less sure than `below`:
    `faq` keeps the answer's confidence, so that with `below` at the fallback's threshold
    an answer the selector barely chose («nhà tôi làm lại mái tôn có phải xin phép
    không», dịch vụ công at 0.24) gives the fallback's «not understood» and the offer to
    ask staff, not a wrong answer. None otherwise."""
    if not ranking or ranking[0][INTENT_NAME_KEY] != "faq":
        return None
    if answer_confidence >= below or float(ranking[0]["confidence"]) <= answer_confidence:
        return None
    return _lead(ranking, "faq", answer_confidence)


def answer_kept(
    intent: Mapping[str, Any], ranking: list[dict[str, Any]], confidence: float
) -> list[dict[str, Any]] | None:
    """The ranking of a message that reads as an opinion but asks, with a sure answer
    (`asks_with_a_sure_answer`): `faq` leads with `confidence` (the opinion share, which
    says the message is about the commune's matters), so the answer comes first with the
    offer to send. None when `faq` leads already."""
    if intent.get(INTENT_NAME_KEY) == "faq":
        return None
    return _lead(ranking, "faq", confidence)


def _lead(ranking: list[dict[str, Any]], target: str, confidence: float) -> list[dict[str, Any]]:
    """`target` first with `confidence`; the others share the rest in their proportions."""
    scores = {entry[INTENT_NAME_KEY]: float(entry["confidence"]) for entry in ranking}
    rest = {name: score for name, score in scores.items() if name != target}
    total = sum(rest.values())
    new = [{INTENT_NAME_KEY: target, "confidence": confidence}]
    new += [
        {INTENT_NAME_KEY: name, "confidence": (1.0 - confidence) * score / total if total else 0.0}
        for name, score in sorted(rest.items(), key=lambda item: (-item[1], item[0]))
    ]
    return new


def reading(
    kinds: Mapping[str, float],
    fields: Mapping[str, float],
    *,
    offer: bool,
    redirected_from: str | None,
) -> dict[str, Any]:
    """The parse-data entry: every kind's probability, the likeliest fields first."""
    ranked = sorted(fields.items(), key=lambda item: (-item[1], item[0]))[:FIELDS_SHOWN]
    return {
        "kinds": {kind: round(kinds.get(kind, 0.0), 4) for kind in KINDS},
        "fields": [{"name": name, "confidence": round(p, 4)} for name, p in ranked],
        "offer": offer,
        "redirected_from": redirected_from,
    }


def normalized(text: str) -> str:
    return normalize(text)


def _classifier(strength: float) -> Pipeline:
    features = make_union(
        TfidfVectorizer(preprocessor=normalized, ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(
            preprocessor=normalized, analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True
        ),
    )
    # Balanced: FAQ questions outnumber the opinion examples several times over.
    regression = LogisticRegression(C=strength, max_iter=2000, class_weight="balanced")
    return make_pipeline(features, regression)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class OpinionReader(GraphComponent):
    """Two regressions on the text's TF-IDF features: kind, then field."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            START: 0.7,
            OFFER: 0.3,
            QUESTION_BACK: 0.5,
            ASKED_BACK: 0.5,
            SURE_ANSWER: 1.0,
            REDIRECT_FROM: ["faq", "out_of_scope"],
            EXPLAIN_FIRST: {},
            DOUBTED: {},
            DOUBTED_BELOW: 0.0,
            UNSURE_ANSWER: 0.0,
            KIND_C: 3.0,
            FIELD_C: 10.0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        kind_clf: Pipeline | None = None,
        field_clf: Pipeline | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.kind_clf = kind_clf or _classifier(float(self.config[KIND_C]))
        self.field_clf = field_clf or _classifier(float(self.config[FIELD_C]))

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        config = {**cls.get_default_config(), **config}
        start, offer = float(config[START]), float(config[OFFER])
        if not 0.0 < offer <= start <= 1.0:
            raise ValueError(f"OpinionReader: need 0 < {OFFER} <= {START} <= 1")
        for name in (QUESTION_BACK, ASKED_BACK, SURE_ANSWER):
            if not 0.0 < float(config[name]) <= 1.0:
                raise ValueError(f"OpinionReader: need 0 < {name} <= 1")
        for name in (DOUBTED_BELOW, UNSURE_ANSWER):
            if not 0.0 <= float(config[name]) <= 1.0:
                raise ValueError(f"OpinionReader: need 0 <= {name} <= 1")
        doubts = config[DOUBTED] or {}
        if not isinstance(doubts, dict) or not all(
            isinstance(v, (int, float)) and 0.0 <= float(v) <= 1.0 for v in doubts.values()
        ):
            raise ValueError(f"OpinionReader: {DOUBTED} maps an intent to a threshold in [0, 1]")
        explains = config[EXPLAIN_FIRST] or {}
        if not isinstance(explains, dict) or not all(
            isinstance(keys, list) and all(str(key).startswith("faq/") for key in keys)
            for keys in explains.values()
        ):
            raise ValueError(f"OpinionReader: {EXPLAIN_FIRST} maps an intent to faq/<key> answers")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OpinionReader:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        for clf, label_of in ((self.kind_clf, kind_label), (self.field_clf, field_label)):
            pairs = [(str(e.get(TEXT)), label_of(e)) for e in examples]
            labelled = [(text, label) for text, label in pairs if label]
            if len({label for _, label in labelled}) >= 2:
                clf.fit([text for text, _ in labelled], [label for _, label in labelled])
        self.persist()
        return self._resource

    @staticmethod
    def _probabilities(clf: Pipeline, texts: list[str]) -> list[dict[str, float]]:
        if not hasattr(clf, "classes_"):
            return [{} for _ in texts]
        return [
            {str(name): float(p) for name, p in zip(clf.classes_, row, strict=True)}
            for row in clf.predict_proba(texts)
        ]

    def process(self, messages: list[Message]) -> list[Message]:
        if not messages or not hasattr(self.kind_clf, "classes_"):
            return messages
        x = [str(message.get(TEXT) or "") for message in messages]
        start, offer = float(self.config[START]), float(self.config[OFFER])
        plain, asked = float(self.config[QUESTION_BACK]), float(self.config[ASKED_BACK])
        sure_answer = float(self.config[SURE_ANSWER])
        sources = frozenset(self.config[REDIRECT_FROM])
        explains = self.config[EXPLAIN_FIRST] or {}
        doubts = {str(k): float(v) for k, v in (self.config[DOUBTED] or {}).items()}
        doubted_below = float(self.config[DOUBTED_BELOW])
        unsure = float(self.config[UNSURE_ANSWER])
        for message, kinds, fields in zip(
            messages,
            self._probabilities(self.kind_clf, x),
            self._probabilities(self.field_clf, x),
            strict=True,
        ):
            intent = message.get(INTENT) or {}
            ranking = message.get(INTENT_RANKING_KEY) or []
            answer = faq_answer_key(message)
            was: str | None = str(intent.get(INTENT_NAME_KEY))
            asks = asks_how(str(message.get(TEXT) or ""))
            answer_confidence = faq_answer_confidence(message)
            sure_question = asks_with_a_sure_answer(
                asks=asks, answer_confidence=answer_confidence, sure_answer=sure_answer
            )
            new_ranking = explained_first(
                intent, ranking, asks=asks, answer=answer, explains=explains
            )
            if new_ranking is None:
                new_ranking = redirected(intent, ranking, kinds, start=start, redirect_from=sources)
                if new_ranking is not None and sure_question:
                    new_ranking = answer_kept(intent, ranking, new_ranking[0]["confidence"])
            if new_ranking is None:
                new_ranking = answered_as_faq(
                    intent,
                    ranking,
                    kinds,
                    threshold=asked if sure_question else plain,
                    has_answer=answer is not None,
                    floor=answer_confidence if sure_question else 0.0,
                )
            if new_ranking is None:
                new_ranking = doubted(
                    intent,
                    ranking,
                    sure_question=sure_question,
                    thresholds=doubts,
                    below=doubted_below,
                    answer_confidence=answer_confidence,
                )
            if opinion_share(kinds) < offer:  # an opinion keeps the answer with the offer
                new_ranking = (
                    answer_doubted(new_ranking or ranking, answer_confidence, below=unsure)
                    or new_ranking
                )
            if new_ranking is not None and new_ranking[0][INTENT_NAME_KEY] == "faq":
                new_ranking[0][FULL_RETRIEVAL_INTENT] = answer
            if new_ranking is None or new_ranking[0][INTENT_NAME_KEY] == was:
                # The same intent, at most more confident; a `faq` reading may still answer
                # how to do an action, and offer it.
                was = explained_action(intent, ranking, asks=asks, answer=answer, explains=explains)
            if new_ranking is None:
                new_ranking = confirmed(intent, ranking, kinds, start=start)
            if new_ranking:
                message.set(INTENT, new_ranking[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, new_ranking, add_to_output=True)
            now = (new_ranking[0] if new_ranking else intent).get(INTENT_NAME_KEY)
            offered = now == "faq" and opinion_share(kinds) >= offer
            message.set(
                OPINION,
                reading(kinds, fields, offer=offered, redirected_from=was),
                add_to_output=True,
            )
        return messages

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.kind_clf, model_dir / "kind.skops")
            sio.dump(self.field_clf, model_dir / "field.skops")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OpinionReader:
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as model_dir:
                loaded = []
                for name in ("kind.skops", "field.skops"):
                    path = model_dir / name
                    # Only the types this component writes; a file holding any other
                    # was not written by it.
                    unknown = set(sio.get_untrusted_types(file=path)) - TRUSTED_TYPES
                    if unknown:
                        raise ValueError(f"unexpected types in {name}: {sorted(unknown)}")
                    loaded.append(sio.load(path, trusted=sorted(TRUSTED_TYPES)))
        except ValueError:
            logger.warning("OpinionReader: no trained classifiers; opinions are not read")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, *loaded)
