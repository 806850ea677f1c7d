"""Intents and FAQ keys chosen by linear models, with no TensorFlow model in the pipeline.

DIET and the ResponseSelector are two TensorFlow models built, traced and run for every
message, while the pipeline's features are sparse counts a linear model reads as well
(issue #21). These two components stand in for DIET + IntentVote and for the
ResponseSelector of `faq` in config-lean.yml:

- ``LeanIntentClassifier`` writes ``intent`` and ``intent_ranking`` as DIET does (best
  first, cut to ``ranking_length``), so the FallbackClassifier and the rules read it
  unchanged.
- ``LeanResponseSelector`` writes the ``response_selector`` block as Rasa's
  ResponseSelector writes it (``all_retrieval_intents``, then under the retrieval intent a
  ``response`` with ``responses``, ``confidence``, ``intent_response_key`` and
  ``utter_action``, and a ``ranking`` of ``confidence`` / ``intent_response_key``), so
  ``utter_faq``, actions/faq.py, actions/fallback.py and the OpinionReader find the
  answer where they look for it.

Both read the sentence-level sparse features (the sum of the token features, as Rasa's
LogisticRegressionClassifier does), TF-IDF weighted with sublinear counts so a long
message does not outweigh a short one. The model is a logistic regression, or a linear
SVM whose scores a sigmoid fitted on held-back folds turns into probabilities
(``model: svm``): either way the confidence is a probability, so the FallbackClassifier's
threshold keeps its meaning.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.nlu.training_data.util import intent_response_key_to_template_key
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

MODEL: Final = "model"
LOGISTIC: Final = "logistic"
SVM: Final = "svm"
INVERSE_REGULARISATION: Final = "C"
RANKING_LENGTH: Final = "ranking_length"
RETRIEVAL_INTENT: Final = "retrieval_intent"
RESPONSE_KEYS: Final = "response_keys"
# Folds the SVM's sigmoid is fitted on, fewer when a label has fewer examples.
CALIBRATION_FOLDS: Final = 3
CLASSIFIER_FILE: Final = "classifier.skops"
SELECTOR_FILE: Final = "selector.json"
# What the saved models are made of: loading refuses a file holding anything else.
TRUSTED_TYPES: Final = frozenset(
    {
        "builtins.dict", "builtins.list", "builtins.tuple", "builtins.slice", "builtins.str",
        "builtins.float", "builtins.int", "builtins.bool", "builtins.NoneType",
        "numpy.dtype", "numpy.ndarray", "numpy.float64", "numpy.int64", "numpy.int32",
        "numpy.str_", "scipy.sparse._csr.csr_matrix", "scipy.sparse._dia.dia_matrix",
        "sklearn.pipeline.Pipeline",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.svm._classes.LinearSVC",
        "sklearn.calibration.CalibratedClassifierCV",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.model_selection._split.StratifiedKFold",
    }
)  # fmt: skip


def sentence_features(messages: list[Message]) -> csr_matrix:
    """The sparse and dense sentence features of each message's text, one row each."""
    rows = []
    for message in messages:
        sparse = message.get_sparse_features(TEXT)[1]
        dense = message.get_dense_features(TEXT)[1]
        rows.append(
            hstack(
                [
                    csr_matrix(sparse.features if sparse else []),
                    csr_matrix(dense.features if dense else []),
                ]
            )
        )
    return csr_matrix(vstack(rows))


def make_classifier(model: str, strength: float) -> Pipeline:
    """TF-IDF weighting of the counts, then the linear model named by ``model``."""
    weighting = TfidfTransformer(sublinear_tf=True)
    if model == SVM:
        svm = LinearSVC(C=strength, class_weight="balanced", random_state=0, max_iter=5000)
        return make_pipeline(
            weighting, CalibratedClassifierCV(svm, method="sigmoid", cv=CALIBRATION_FOLDS)
        )
    regression = LogisticRegression(C=strength, class_weight="balanced", max_iter=2000)
    return make_pipeline(weighting, regression)


def ranked(classes: list[str], probabilities: list[float], length: int) -> list[tuple[str, float]]:
    """Labels with their probabilities, most likely first (ties by name), cut to length."""
    pairs = sorted(zip(classes, probabilities, strict=True), key=lambda p: (-p[1], p[0]))
    return pairs[:length] if length > 0 else pairs


class _LinearComponent(GraphComponent):
    """Shared training, persistence and prediction of one linear classifier."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {MODEL: LOGISTIC, INVERSE_REGULARISATION: 3.0, RANKING_LENGTH: 10}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: Pipeline | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.classifier = classifier or make_classifier(
            str(self.config[MODEL]), float(self.config[INVERSE_REGULARISATION])
        )

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        config = {**cls.get_default_config(), **config}
        if config[MODEL] not in (LOGISTIC, SVM):
            raise ValueError(f"{cls.__name__}: {MODEL} must be {LOGISTIC} or {SVM}")
        if float(config[INVERSE_REGULARISATION]) <= 0.0:
            raise ValueError(f"{cls.__name__}: C must be positive")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _LinearComponent:
        return cls(config, model_storage, resource)

    @property
    def trained(self) -> bool:
        return hasattr(self.classifier, "classes_")

    def fit(self, examples: list[Message], labels: list[str]) -> None:
        if len(set(labels)) < 2:
            logger.warning("%s: fewer than two labels, not trained", type(self).__name__)
            return
        calibration = self.classifier.named_steps.get("calibratedclassifiercv")
        if calibration is not None:
            # Each fold needs every label: fewer folds for a label with few examples
            # (faq_vote has two), none below two.
            fewest = min(labels.count(label) for label in set(labels))
            if fewest < 2:
                raise ValueError(f"{type(self).__name__}: model svm needs 2 examples a label")
            calibration.set_params(cv=min(CALIBRATION_FOLDS, fewest))
        # An array: the calibration's per-class count compares y with each class.
        self.classifier.fit(sentence_features(examples), np.asarray(labels))

    def probabilities(self, messages: list[Message]) -> list[dict[str, float]]:
        """Each message's probability of every label."""
        classes = [str(name) for name in self.classifier.classes_]
        return [
            {name: float(p) for name, p in zip(classes, row, strict=True)}
            for row in self.classifier.predict_proba(sentence_features(messages))
        ]

    def rankings(self, messages: list[Message]) -> list[list[tuple[str, float]]]:
        """Each message's labels with probabilities, most likely first."""
        length = int(self.config[RANKING_LENGTH])
        return [ranked(list(p), list(p.values()), length) for p in self.probabilities(messages)]

    def persist_classifier(self, extra: dict[str, Any] | None = None) -> None:
        import json

        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            if self.trained:
                sio.dump(self.classifier, model_dir / CLASSIFIER_FILE)
            (model_dir / SELECTOR_FILE).write_text(json.dumps(extra or {}), encoding="utf-8")

    @classmethod
    def load_parts(
        cls, model_storage: ModelStorage, resource: Resource
    ) -> tuple[Pipeline | None, dict[str, Any]]:
        """The saved classifier (None when none was trained) and the saved extras."""
        import json

        import skops.io as sio

        try:
            with model_storage.read_from(resource) as model_dir:
                extra = json.loads((model_dir / SELECTOR_FILE).read_text(encoding="utf-8"))
                path = model_dir / CLASSIFIER_FILE
                if not path.exists():
                    return None, extra
                # Only the types this component writes; a file holding any other was
                # not written by it.
                unknown = set(sio.get_untrusted_types(file=path)) - TRUSTED_TYPES
                if unknown:
                    raise ValueError(f"unexpected types in {path.name}: {sorted(unknown)}")
                return sio.load(path, trusted=sorted(TRUSTED_TYPES)), extra
        except ValueError as error:
            logger.warning("%s: nothing loaded (%s)", cls.__name__, error)
            return None, {}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LeanIntentClassifier(_LinearComponent):
    """The intent, from a linear model on the sentence features.

    With ``response_keys`` the model learns the FAQ keys (``faq/<key>``) as labels of
    their own and a retrieval intent's probability is the sum of its keys': each FAQ
    topic is one coherent class, where `faq` as one label is a mixture of eighteen topics
    a linear boundary separates poorly from the other intents.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**_LinearComponent.get_default_config(), RESPONSE_KEYS: False}

    def label(self, example: Message) -> str:
        if self.config[RESPONSE_KEYS] and example.get(INTENT_RESPONSE_KEY):
            return str(example.get(INTENT_RESPONSE_KEY))
        return str(example.get(INTENT))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        self.fit(examples, [self.label(e) for e in examples])
        self.persist_classifier()
        return self._resource

    def intent_rankings(self, messages: list[Message]) -> list[list[tuple[str, float]]]:
        """Each message's intents with probabilities, most likely first."""
        length = int(self.config[RANKING_LENGTH])
        rankings = []
        for labels in self.probabilities(messages):
            intents: dict[str, float] = {}
            for name, p in labels.items():
                # "faq/vneid_register" counts for "faq".
                intent = name.partition("/")[0]
                intents[intent] = intents.get(intent, 0.0) + p
            rankings.append(ranked(list(intents), list(intents.values()), length))
        return rankings

    def process(self, messages: list[Message]) -> list[Message]:
        if not messages or not self.trained:
            return messages
        for message, ranking in zip(messages, self.intent_rankings(messages), strict=True):
            entries = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: p} for name, p in ranking]
            message.set(INTENT, entries[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, entries, add_to_output=True)
        return messages

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LeanIntentClassifier:
        classifier, _ = cls.load_parts(model_storage, resource)
        return cls(config, model_storage, resource, classifier)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LeanResponseSelector(_LinearComponent):
    """The response key of one retrieval intent (``faq/<key>``), as Rasa's selector gives it."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**_LinearComponent.get_default_config(), RETRIEVAL_INTENT: "faq"}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: Pipeline | None = None,
        responses: dict[str, list[dict[str, Any]]] | None = None,
        all_retrieval_intents: list[str] | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, classifier)
        self.responses = responses or {}
        self.all_retrieval_intents = all_retrieval_intents or []

    def train(self, training_data: TrainingData) -> Resource:
        intent = self.config[RETRIEVAL_INTENT]
        examples = [
            e
            for e in training_data.intent_examples
            if e.get(TEXT) and e.get(INTENT) == intent and e.get(INTENT_RESPONSE_KEY)
        ]
        self.fit(examples, [str(e.get(INTENT_RESPONSE_KEY)) for e in examples])
        self.responses = {
            key: list(value)
            for key, value in training_data.responses.items()
            if key.startswith(f"utter_{intent}/")
        }
        self.all_retrieval_intents = sorted(training_data.retrieval_intents)
        self.persist_classifier(
            {"responses": self.responses, "all_retrieval_intents": self.all_retrieval_intents}
        )
        return self._resource

    def prediction(self, ranking: list[tuple[str, float]]) -> dict[str, Any]:
        """The block Rasa's ResponseSelector sets under the retrieval intent's name."""
        key, confidence = ranking[0]
        template = intent_response_key_to_template_key(key)
        return {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                # As Rasa's selector does when the domain lacks the response.
                RESPONSE_SELECTOR_RESPONSES_KEY: self.responses.get(template) or [{TEXT: key}],
                PREDICTED_CONFIDENCE_KEY: confidence,
                INTENT_RESPONSE_KEY: key,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: template,
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {PREDICTED_CONFIDENCE_KEY: p, INTENT_RESPONSE_KEY: name} for name, p in ranking
            ],
        }

    def process(self, messages: list[Message]) -> list[Message]:
        if not messages or not self.trained:
            return messages
        for message, ranking in zip(messages, self.rankings(messages), strict=True):
            selector = dict(message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {})
            selector[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self.all_retrieval_intents
            selector[str(self.config[RETRIEVAL_INTENT])] = self.prediction(ranking)
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selector, add_to_output=True)
        return messages

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LeanResponseSelector:
        classifier, extra = cls.load_parts(model_storage, resource)
        return cls(
            config,
            model_storage,
            resource,
            classifier,
            extra.get("responses"),
            extra.get("all_retrieval_intents"),
        )
