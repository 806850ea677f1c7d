"""IntentVote: the logistic-regression second opinion combined with DIET's ranking."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from engine_addons.intent_vote import KEPT_RANKINGS, IntentVote, KeepRanking, blend
from engine_addons.vietnamese import VietnameseTokenizer

# --- blend: a pure function ---------------------------------------------------------------


def test_blend_is_the_weighted_geometric_mean_most_confident_first() -> None:
    diet = [{"name": "greet", "confidence": 0.9}, {"name": "goodbye", "confidence": 0.1}]
    own = {"greet": 0.2, "goodbye": 0.8}
    # greet: 0.9^0.75 * 0.2^0.25 = 0.6364, goodbye: 0.1^0.75 * 0.8^0.25 = 0.1732, renormalised
    assert blend([diet], own, 0.25) == [
        {"name": "greet", "confidence": pytest.approx(0.78606, abs=1e-5)},
        {"name": "goodbye", "confidence": pytest.approx(0.21394, abs=1e-5)},
    ]
    assert [entry["name"] for entry in blend([diet], own, 0.75)] == ["goodbye", "greet"]


def test_agreement_keeps_the_confidence_an_arithmetic_mean_would_halve() -> None:
    diet = [{"name": "greet", "confidence": 0.95}, {"name": "goodbye", "confidence": 0.05}]
    own = {"greet": 0.4, "goodbye": 0.35, "help": 0.25}
    top = blend([diet], own, 0.5)[0]
    assert top["name"] == "greet"
    assert top["confidence"] == pytest.approx(0.8179, abs=1e-4)  # the plain average: 0.675


def test_blend_gives_an_intent_missing_from_a_cut_ranking_a_small_floor() -> None:
    diet = [{"name": "greet", "confidence": 0.6}]  # DIET's ranking cut to its top entry
    own = {"greet": 0.1, "help": 0.9}
    assert blend([diet], own, 0.5) == [
        {"name": "greet", "confidence": pytest.approx(0.96271, abs=1e-5)},
        {"name": "help", "confidence": pytest.approx(0.03729, abs=1e-5)},
    ]


def test_blend_without_an_earlier_ranking_is_the_regression_alone() -> None:
    assert blend([], {"thank": 0.3, "help": 0.7}, 0.5) == [
        {"name": "help", "confidence": 0.7},
        {"name": "thank", "confidence": 0.3},
    ]


def test_two_opinions_share_the_rest_of_the_weight_equally() -> None:
    first = [{"name": "greet", "confidence": 0.9}, {"name": "goodbye", "confidence": 0.1}]
    second = [{"name": "greet", "confidence": 0.3}, {"name": "goodbye", "confidence": 0.7}]
    own = {"greet": 0.5, "goodbye": 0.5}
    # greet: 0.9^0.25 * 0.3^0.25 * 0.5^0.5 = 0.5097, goodbye: 0.1^0.25 * 0.7^0.25 * 0.5^0.5
    # = 0.3637, renormalised
    assert blend([first, second], own, 0.5) == [
        {"name": "greet", "confidence": pytest.approx(0.58358, abs=1e-5)},
        {"name": "goodbye", "confidence": pytest.approx(0.41642, abs=1e-5)},
    ]
    # Two identical opinions weigh what one does.
    assert blend([first, first], own, 0.5) == pytest.approx(blend([first], own, 0.5))


def test_empty_opinions_are_skipped() -> None:
    diet = [{"name": "greet", "confidence": 0.9}, {"name": "goodbye", "confidence": 0.1}]
    own = {"greet": 0.2, "goodbye": 0.8}
    assert blend([[], diet], own, 0.25) == blend([diet], own, 0.25)


def test_blend_breaks_ties_by_name() -> None:
    ranking = blend([], {"deny": 0.5, "affirm": 0.5}, 0.5)
    assert [entry["name"] for entry in ranking] == ["affirm", "deny"]


@pytest.mark.parametrize("config", [{"weight": 1.5}, {"weight": -0.1}, {"C": 0}])
def test_bad_settings_are_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        IntentVote.validate_config(config)


def test_keep_ranking_sets_each_ranking_aside_in_order(tmp_path: Path) -> None:
    keep = KeepRanking.create({}, LocalModelStorage(tmp_path), Resource("keep"), context())
    message = Message(data={TEXT: "xin chào"})
    keep.process([message])  # nothing ranked yet: nothing kept
    assert message.get(KEPT_RANKINGS) is None
    first = [{"name": "greet", "confidence": 0.9}]
    second = [{"name": "goodbye", "confidence": 0.6}]
    message.set(INTENT_RANKING_KEY, first)
    keep.process([message])
    message.set(INTENT_RANKING_KEY, second)
    keep.process([message])
    assert message.get(KEPT_RANKINGS) == [first, second]
    # Kept for the vote, not shown in the parse result.
    assert KEPT_RANKINGS not in message.as_dict(only_output_properties=True)


# --- the component inside Rasa: real tokenizer, featurizer and persistence ----------------

EXAMPLES = {
    "greet": ["xin chào", "chào bạn", "alo có ai không", "hi ad", "chào buổi sáng"],
    "goodbye": ["tạm biệt", "bye nhé", "thôi tôi đi đây", "hẹn gặp lại", "bai bai"],
    "help": ["giúp tôi với", "bot làm được gì", "hướng dẫn sử dụng", "menu", "trợ giúp"],
}


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), uuid.uuid4().hex)


def tokenizer(storage: LocalModelStorage) -> VietnameseTokenizer:
    return VietnameseTokenizer.create(
        VietnameseTokenizer.get_default_config(), storage, Resource("tok"), context()
    )


def featurize(storage: LocalModelStorage, training: TrainingData) -> CountVectorsFeaturizer:
    tokenizer(storage).process_training_data(training)
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context()
    )
    featurizer.train(training)
    featurizer.process_training_data(training)
    return featurizer


def parse(text: str, storage: LocalModelStorage, featurizer: CountVectorsFeaturizer) -> Message:
    message = Message(data={TEXT: text})
    tokenizer(storage).process([message])
    featurizer.process([message])
    return message


@pytest.fixture
def trained(tmp_path: Path) -> tuple[LocalModelStorage, CountVectorsFeaturizer, IntentVote]:
    storage = LocalModelStorage(tmp_path)
    training = TrainingData(
        [
            Message(data={TEXT: text, INTENT: intent})
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )
    featurizer = featurize(storage, training)
    config = {**IntentVote.get_default_config(), "weight": 0.5}
    vote = IntentVote.create(config, storage, Resource("vote"), context())
    vote.train(training)
    return storage, featurizer, vote


def test_process_replaces_the_ranking_with_the_blend(
    trained: tuple[LocalModelStorage, CountVectorsFeaturizer, IntentVote],
) -> None:
    storage, featurizer, vote = trained
    message = parse("tam biet nhe", storage, featurizer)
    own = vote.own_distributions([message])[0]
    assert max(own, key=own.__getitem__) == "goodbye"
    # DIET leaning the wrong way is outvoted when the regression is surer of the right one.
    diet = [{"name": "greet", "confidence": 0.55}, {"name": "goodbye", "confidence": 0.45}]
    message.set(INTENT_RANKING_KEY, diet)
    message.set(INTENT, diet[0])

    vote.process([message])

    expected = blend([diet], own, 0.5)
    assert message.get(INTENT_RANKING_KEY) == expected
    assert message.get(INTENT) == expected[0]
    assert message.get(INTENT)["name"] == "goodbye"
    assert sum(entry["confidence"] for entry in expected) == pytest.approx(1.0)


def test_process_blends_the_kept_ranking_with_the_current_one(
    trained: tuple[LocalModelStorage, CountVectorsFeaturizer, IntentVote],
) -> None:
    storage, featurizer, vote = trained
    message = parse("giup toi voi", storage, featurizer)
    own = vote.own_distributions([message])[0]
    first = [{"name": "greet", "confidence": 0.7}, {"name": "help", "confidence": 0.3}]
    second = [{"name": "help", "confidence": 0.8}, {"name": "greet", "confidence": 0.2}]
    message.set(INTENT_RANKING_KEY, first)
    KeepRanking().process([message])
    message.set(INTENT_RANKING_KEY, second)

    vote.process([message])

    assert message.get(INTENT_RANKING_KEY) == blend([first, second], own, 0.5)
    assert message.get(INTENT_RANKING_KEY) != blend([second], own, 0.5)


def test_loaded_component_answers_like_the_trained_one(
    trained: tuple[LocalModelStorage, CountVectorsFeaturizer, IntentVote],
) -> None:
    storage, featurizer, vote = trained
    loaded = IntentVote.load(vote.config, storage, Resource("vote"), context())
    first, second = (parse("chao ban nhe", storage, featurizer) for _ in range(2))
    vote.process([first])
    loaded.process([second])
    assert first.get(INTENT_RANKING_KEY) == second.get(INTENT_RANKING_KEY)
    assert first.get(INTENT)["name"] == "greet"


def test_untrained_component_leaves_the_earlier_answer(tmp_path: Path) -> None:
    vote = IntentVote.create(
        IntentVote.get_default_config(), LocalModelStorage(tmp_path), Resource("v"), context()
    )
    message = Message(data={TEXT: "xin chào"})
    message.set(INTENT, {"name": "greet", "confidence": 0.9})
    vote.process([message])
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.9}
