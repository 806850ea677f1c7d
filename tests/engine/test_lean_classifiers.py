"""The lean classifiers: intents and FAQ keys from linear models, in Rasa's output shapes."""

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
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from engine_addons.lean_classifiers import (
    LeanIntentClassifier,
    LeanResponseSelector,
    ranked,
)
from engine_addons.opinion_reader import faq_answer_key
from engine_addons.vietnamese import VietnameseTokenizer

INTENTS = {
    "greet": ["xin chào", "chào bạn", "alo có ai không", "hi ad", "chào buổi sáng"],
    "goodbye": ["tạm biệt", "bye nhé", "thôi tôi đi đây", "hẹn gặp lại", "bai bai"],
    "help": ["giúp tôi với", "bot làm được gì", "hướng dẫn sử dụng", "menu", "trợ giúp"],
}
FAQ = {
    "faq/vneid_register": [
        "đăng ký vneid thế nào", "cách đăng ký tài khoản định danh", "làm vneid ở đâu",
        "muốn đăng ký vneid", "đăng ký định danh điện tử",
    ],
    "faq/password_reset": [
        "quên mật khẩu vneid", "lấy lại mật khẩu", "đổi mật khẩu tài khoản",
        "mất mật khẩu đăng nhập", "không nhớ mật khẩu",
    ],
    "faq/office_hours": [
        "ủy ban mở cửa mấy giờ", "giờ làm việc của xã", "thứ bảy có làm việc không",
        "mấy giờ xã nghỉ trưa", "lịch làm việc ủy ban",
    ],
}  # fmt: skip
RESPONSES = {f"utter_{key}": [{"text": f"Trả lời {key}"}] for key in FAQ} | {
    "utter_greet": [{"text": "Xin chào"}]
}


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), uuid.uuid4().hex)


def training_data() -> TrainingData:
    messages = [
        Message(data={TEXT: text, INTENT: intent})
        for intent, texts in INTENTS.items()
        for text in texts
    ]
    messages += [
        Message(data={TEXT: text, INTENT: "faq", INTENT_RESPONSE_KEY: key})
        for key, texts in FAQ.items()
        for text in texts
    ]
    return TrainingData(messages, responses=RESPONSES)


class Engine:
    """Tokenizer and count features trained on the data, then the two components."""

    def __init__(self, storage: LocalModelStorage, config: dict[str, Any]) -> None:
        self.storage = storage
        self.tokenizer = VietnameseTokenizer.create(
            VietnameseTokenizer.get_default_config(), storage, Resource("tok"), context()
        )
        data = training_data()
        self.tokenizer.process_training_data(data)
        self.featurizer = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context()
        )
        self.featurizer.train(data)
        self.featurizer.process_training_data(data)
        self.intents = LeanIntentClassifier.create(
            {**LeanIntentClassifier.get_default_config(), **config},
            storage, Resource("intents"), context(),
        )  # fmt: skip
        self.intents.train(data)
        self.selector = LeanResponseSelector.create(
            {**LeanResponseSelector.get_default_config(), **config},
            storage, Resource("selector"), context(),
        )  # fmt: skip
        self.selector.train(data)

    def features(self, text: str) -> Message:
        message = Message(data={TEXT: text})
        self.tokenizer.process([message])
        self.featurizer.process([message])
        return message

    def parse(self, text: str) -> Message:
        message = self.features(text)
        self.intents.process([message])
        self.selector.process([message])
        return message


@pytest.fixture(params=["logistic", "svm"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    return Engine(LocalModelStorage(tmp_path), {"model": request.param})


def test_intent_and_ranking_are_shaped_as_diet_writes_them(engine: Engine) -> None:
    message = engine.parse("thoi tam biet")
    ranking = message.get(INTENT_RANKING_KEY)
    assert message.get(INTENT) == ranking[0]
    assert ranking[0]["name"] == "goodbye"
    assert set(ranking[0]) == {"name", "confidence"}
    assert [entry["name"] for entry in ranking] and len(ranking) == 4  # 3 intents + faq
    confidences = [entry["confidence"] for entry in ranking]
    assert confidences == sorted(confidences, reverse=True)
    # Probabilities over every intent: what the fallback threshold compares against.
    assert sum(confidences) == pytest.approx(1.0)
    assert message.as_dict(only_output_properties=True)[INTENT]["name"] == "goodbye"


def test_faq_question_gets_the_response_selector_block(engine: Engine) -> None:
    message = engine.parse("toi quen mat khau vneid")
    assert message.get(INTENT)["name"] == "faq"
    selector = message.as_dict(only_output_properties=True)["response_selector"]
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response["intent_response_key"] == "faq/password_reset"
    assert response["utter_action"] == "utter_faq/password_reset"
    assert response["responses"] == [{"text": "Trả lời faq/password_reset"}]
    ranking = selector["faq"]["ranking"]
    assert ranking[0] == {
        "confidence": response["confidence"],
        "intent_response_key": "faq/password_reset",
    }
    assert [entry["intent_response_key"] for entry in ranking[1:]] == sorted(
        ["faq/vneid_register", "faq/office_hours"],
        key=lambda key: -next(e["confidence"] for e in ranking if e["intent_response_key"] == key),
    )
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)
    # Where the OpinionReader and actions/faq.py read the answer.
    assert faq_answer_key(message) == "faq/password_reset"


def test_selector_keeps_other_retrieval_intents_answers(engine: Engine) -> None:
    message = engine.features("uy ban lam viec may gio")
    message.set("response_selector", {"chitchat": {"response": {}}})
    engine.selector.process([message])
    selector = message.get("response_selector")
    assert set(selector) == {"chitchat", "faq", "all_retrieval_intents"}
    assert selector["faq"]["response"]["intent_response_key"] == "faq/office_hours"


def test_ranking_length_cuts_both_rankings(tmp_path: Path) -> None:
    engine = Engine(LocalModelStorage(tmp_path), {"ranking_length": 2})
    message = engine.parse("dang ky vneid")
    assert len(message.get(INTENT_RANKING_KEY)) == 2
    assert len(message.get("response_selector")["faq"]["ranking"]) == 2


def test_loaded_components_answer_like_the_trained_ones(engine: Engine) -> None:
    storage = engine.storage
    intents = LeanIntentClassifier.load(
        engine.intents.config, storage, Resource("intents"), context()
    )
    selector = LeanResponseSelector.load(
        engine.selector.config, storage, Resource("selector"), context()
    )
    for text in ("cach dang ky dinh danh", "chao ad", "giup voi"):
        trained = engine.parse(text)
        loaded = engine.features(text)
        intents.process([loaded])
        selector.process([loaded])
        assert loaded.get(INTENT_RANKING_KEY) == trained.get(INTENT_RANKING_KEY)
        assert loaded.get("response_selector") == trained.get("response_selector")


def test_a_file_with_foreign_types_is_not_loaded(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    storage = LocalModelStorage(tmp_path)
    with storage.write_to(Resource("intents")) as directory:
        sio.dump(DecisionTreeClassifier(), directory / "classifier.skops")
        (directory / "selector.json").write_text("{}")
    loaded = LeanIntentClassifier.load({}, storage, Resource("intents"), context())
    assert not loaded.trained
    message = Message(data={TEXT: "xin chào"})
    message.set(INTENT, {"name": "greet", "confidence": 0.9})
    loaded.process([message])
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.9}


def test_untrained_components_leave_the_message_alone(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    one_label = TrainingData([Message(data={TEXT: "xin chào", INTENT: "greet"})])
    intents = LeanIntentClassifier.create({}, storage, Resource("i"), context())
    intents.train(one_label)
    selector = LeanResponseSelector.create({}, storage, Resource("s"), context())
    selector.train(one_label)  # no faq examples at all
    message = Message(data={TEXT: "xin chào"})
    intents.process([message])
    selector.process([message])
    assert message.get(INTENT) is None
    assert message.get("response_selector") is None


def test_ranked_breaks_ties_by_name_and_cuts() -> None:
    assert ranked(["b", "a", "c"], [0.4, 0.4, 0.2], 2) == [("a", 0.4), ("b", 0.4)]
    assert ranked(["b", "a"], [0.3, 0.7], 0) == [("a", 0.7), ("b", 0.3)]


@pytest.mark.parametrize("config", [{"model": "tree"}, {"C": 0}, {"C": -1}])
def test_bad_settings_are_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        LeanIntentClassifier.validate_config(config)
    with pytest.raises(ValueError):
        LeanResponseSelector.validate_config(config)


def test_response_keys_as_labels_sum_to_their_retrieval_intent(tmp_path: Path) -> None:
    engine = Engine(LocalModelStorage(tmp_path), {"response_keys": True, "ranking_length": 0})
    assert sorted(engine.intents.classifier.classes_) == sorted([*INTENTS, *FAQ])
    message = engine.parse("toi quen mat khau vneid")
    labels = engine.intents.probabilities([engine.features("toi quen mat khau vneid")])[0]
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0]["name"] == "faq"
    assert sorted(entry["name"] for entry in ranking) == sorted([*INTENTS, "faq"])
    assert ranking[0]["confidence"] == pytest.approx(sum(labels[key] for key in FAQ))
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)
    # The key itself still comes from the selector.
    assert faq_answer_key(message) == "faq/password_reset"


def test_svm_calibrates_on_fewer_folds_for_a_label_with_two_examples(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    engine = Engine(storage, {"model": "svm"})
    rare = TrainingData(
        [
            *training_data().training_examples,
            Message(data={TEXT: "hữu ích", INTENT: "faq_vote"}),
            Message(data={TEXT: "không rõ", INTENT: "faq_vote"}),
        ]
    )
    engine.tokenizer.process_training_data(rare)
    engine.featurizer.process_training_data(rare)
    intents = LeanIntentClassifier.create({"model": "svm"}, storage, Resource("rare"), context())
    intents.train(rare)
    assert "faq_vote" in intents.classifier.classes_
    message = engine.features("thoi tam biet")
    intents.process([message])
    assert sum(e["confidence"] for e in message.get(INTENT_RANKING_KEY)) == pytest.approx(1.0)
    lone = TrainingData([*rare.training_examples, Message(data={TEXT: "ok", INTENT: "affirm"})])
    engine.tokenizer.process_training_data(lone)
    engine.featurizer.process_training_data(lone)
    with pytest.raises(ValueError):
        LeanIntentClassifier.create({"model": "svm"}, storage, Resource("lone"), context()).train(
            lone
        )
