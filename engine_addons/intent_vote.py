"""A second opinion on the intent: logistic regression combined with DIET.

DIET alone moves by about four held-out sentences in a hundred-odd when only its
random seed changes (docs/nlu-report.md): with some 40 examples per intent, a neural
classifier's answer on a borderline sentence is partly luck. A logistic regression on
the same sparse features has no seed and errs on different sentences, so combining the
two distributions keeps what both agree on and lets the more certain one decide the
rest.

Two DIETs trained with different seeds can be averaged too. A second
DIETClassifier would overwrite the first one's ranking, so ``KeepRanking`` goes between
them and sets the first ranking aside:

    DIETClassifier (seed 57) -> KeepRanking -> DIETClassifier (seed 58) -> IntentVote

config.yml ships one DIET: two, with seeds N and N+100, did not score better on the
development sets (2026-11-27, docs/nlu-report.md), and cost a second TensorFlow model
in memory. KeepRanking stays so that comparison can be rerun.

IntentVote reads every ranking set aside plus the one on the message, and replaces
``intent`` and ``intent_ranking`` with their weighted geometric mean with the
regression. A message no earlier classifier ranked keeps the regression's own
distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH

# Exponent of the regression in the geometric mean; DIET gets the rest.
WEIGHT = "weight"
# Inverse regularisation strength of the regression (scikit-learn's C).
INVERSE_REGULARISATION = "C"
# Probability given to an intent a classifier left out (DIET cuts its ranking), so
# one silent classifier cannot veto an intent outright.
MISSING = 1e-4
# Message attribute holding the rankings KeepRanking set aside; not part of the parse.
KEPT_RANKINGS = "kept_intent_rankings"


def blend(
    opinions: Sequence[list[dict[str, Any]]], own: dict[str, float], weight: float
) -> list[dict[str, Any]]:
    """Weighted geometric mean of intent distributions, renormalised, best first.

    A geometric rather than arithmetic mean: where the classifiers agree the result
    stays as confident as they are, so the fallback threshold keeps its meaning; where
    they disagree the confidence drops and the fallback asks the resident.

    ``opinions`` are Rasa ``intent_ranking`` lists (one per DIET), possibly cut to
    their top entries: an intent missing from one gets the floor ``MISSING``. They share
    ``1 - weight`` equally. ``own`` maps every intent to the regression's probability
    and gets ``weight``. With no non-empty opinion the regression's distribution is
    returned.
    """
    rankings = [ranking for ranking in opinions if ranking]
    if not rankings:
        combined = dict(own)
    else:
        share = (1.0 - weight) / len(rankings)
        tables = [
            {entry["name"]: float(entry["confidence"]) for entry in ranking} for ranking in rankings
        ]
        names = own.keys() | {name for table in tables for name in table}
        scores = {}
        for name in names:
            score = max(own.get(name, 0.0), MISSING) ** weight
            for table in tables:
                score *= max(table.get(name, 0.0), MISSING) ** share
            scores[name] = score
        total = sum(scores.values())
        combined = {name: score / total for name, score in scores.items()}
    ranking = [{"name": name, "confidence": confidence} for name, confidence in combined.items()]
    # Ties (rare, but possible with identical inputs) break by name so runs repeat.
    ranking.sort(key=lambda entry: (-entry["confidence"], entry["name"]))
    return ranking


def opinions_on(message: Message) -> list[list[dict[str, Any]]]:
    """The rankings KeepRanking set aside, then the one on the message now."""
    return [*(message.get(KEPT_RANKINGS) or []), message.get(INTENT_RANKING_KEY) or []]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class KeepRanking(GraphComponent):
    """Sets the current intent ranking aside so the next classifier cannot overwrite it."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KeepRanking:
        """Nothing to configure or train."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Appends each message's ranking to its kept rankings."""
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY)
            if ranking:
                kept = [*(message.get(KEPT_RANKINGS) or []), [dict(e) for e in ranking]]
                message.set(KEPT_RANKINGS, kept)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentVote(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier, combined with the rankings already made."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Stock regression settings plus the blend weight and C."""
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "max_iter": 1000,
            WEIGHT: 0.5,
            INVERSE_REGULARISATION: 1.0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        """The stock classifier, with C taken from the config."""
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config[INVERSE_REGULARISATION]))

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """The weight is a share, C a positive strength."""
        config = {**cls.get_default_config(), **config}
        weight = config[WEIGHT]
        if not 0.0 <= float(weight) <= 1.0:
            raise ValueError(f"IntentVote: {WEIGHT} must be between 0 and 1, got {weight}")
        strength = config[INVERSE_REGULARISATION]
        if float(strength) <= 0.0:
            raise ValueError(f"IntentVote: C must be positive, got {strength}")

    def own_distributions(self, messages: list[Message]) -> list[dict[str, float]]:
        """The regression's probability of every intent, one mapping per message."""
        probabilities = self.clf.predict_proba(self._create_X(messages))
        return [
            {str(name): float(p) for name, p in zip(self.clf.classes_, row, strict=True)}
            for row in probabilities
        ]

    def process(self, messages: list[Message]) -> list[Message]:
        """Replaces the intent and ranking with the blend of the DIETs' and ours."""
        if not messages or not hasattr(self.clf, "classes_"):
            # Untrained (no intent examples): leave the earlier classifier's answer.
            return messages
        for message, own in zip(messages, self.own_distributions(messages), strict=True):
            ranking = blend(opinions_on(message), own, self.config[WEIGHT])
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
