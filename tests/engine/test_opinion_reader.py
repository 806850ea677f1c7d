"""OpinionReader: a report told from a question, its kind and field, inside Rasa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    METADATA,
    METADATA_EXAMPLE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from engine_addons.opinion_reader import (
    OPINION,
    OpinionReader,
    answer_doubted,
    answer_kept,
    answered_as_faq,
    asks_with_a_sure_answer,
    confirmed,
    doubted,
    explained_action,
    explained_first,
    field_label,
    kind_label,
    reading,
    redirected,
)
from tests.engine.test_intent_vote import context, featurize, parse

# --- pure parts --------------------------------------------------------------------------


def opinion(text: str, kind: str, field: str) -> Message:
    return Message(
        data={
            TEXT: text,
            INTENT: "give_feedback",
            METADATA: {METADATA_EXAMPLE: {"kind": kind, "field": field}},
        }
    )


def faq(text: str, key: str) -> Message:
    return Message(data={TEXT: text, INTENT: "faq", INTENT_RESPONSE_KEY: f"faq/{key}"})


def test_labels_come_from_metadata_then_the_intent() -> None:
    assert kind_label(opinion("mạng mất", "phan_anh", "ha_tang_so")) == "phan_anh"
    assert field_label(opinion("mạng mất", "phan_anh", "ha_tang_so")) == "ha_tang_so"
    assert kind_label(faq("cách đăng ký vneid", "vneid_register")) == "cau_hoi"
    # A question teaches no field: questions are written unlike reports.
    assert field_label(faq("cách đăng ký vneid", "vneid_register")) is None
    assert kind_label(Message(data={TEXT: "chào", INTENT: "greet"})) == "khac"
    assert kind_label(Message(data={TEXT: "dn đề nghị", INTENT: "business_proposal"})) == (
        "kien_nghi"
    )
    # A feedback example without a kind is an opinion of unsaid kind.
    assert kind_label(Message(data={TEXT: "góp ý", INTENT: "give_feedback"})) == "y_kien"
    assert kind_label(Message(data={TEXT: "tin sai", INTENT: "report_misinformation"})) is None


FAQ_RANKING = [
    {"name": "faq", "confidence": 0.6},
    {"name": "business_proposal", "confidence": 0.1},
    {"name": "give_feedback", "confidence": 0.2},
    {"name": "greet", "confidence": 0.1},
]
SOURCES = frozenset({"faq", "out_of_scope"})


def test_a_confident_opinion_read_as_faq_becomes_feedback() -> None:
    kinds = {"phan_anh": 0.5, "kien_nghi": 0.2, "gop_y": 0.05, "cau_hoi": 0.2, "khac": 0.05}
    ranking = redirected(FAQ_RANKING[0], FAQ_RANKING, kinds, start=0.7, redirect_from=SOURCES)
    assert ranking == [
        {"name": "give_feedback", "confidence": pytest.approx(0.75)},
        {"name": "faq", "confidence": pytest.approx(0.25 * 0.6 / 0.8)},
        {"name": "business_proposal", "confidence": pytest.approx(0.25 * 0.1 / 0.8)},
        {"name": "greet", "confidence": pytest.approx(0.25 * 0.1 / 0.8)},
    ]


def test_below_the_threshold_or_from_another_intent_nothing_changes() -> None:
    kinds = {"phan_anh": 0.5, "cau_hoi": 0.5}
    assert redirected(FAQ_RANKING[0], FAQ_RANKING, kinds, start=0.6, redirect_from=SOURCES) is None
    strong = {"phan_anh": 0.9, "cau_hoi": 0.1}
    complaint = {"name": "file_complaint", "confidence": 0.5}
    assert redirected(complaint, [complaint], strong, start=0.6, redirect_from=SOURCES) is None


def test_a_business_ranked_above_feedback_goes_to_the_business_form() -> None:
    ranking = [
        {"name": "out_of_scope", "confidence": 0.5},
        {"name": "business_proposal", "confidence": 0.3},
        {"name": "give_feedback", "confidence": 0.2},
    ]
    kinds = {"kien_nghi": 0.8, "khac": 0.2}
    new = redirected(ranking[0], ranking, kinds, start=0.6, redirect_from=SOURCES)
    assert new is not None and new[0] == {"name": "business_proposal", "confidence": 0.8}


def test_reading_lists_every_kind_and_the_three_likeliest_fields() -> None:
    fields = {"vneid": 0.5, "dich_vu_cong": 0.3, "khac": 0.1, "chu_ky_so": 0.1}
    assert reading({"phan_anh": 0.9}, fields, offer=False, redirected_from="faq") == {
        "kinds": {
            "phan_anh": 0.9,
            "kien_nghi": 0.0,
            "gop_y": 0.0,
            "y_kien": 0.0,
            "cau_hoi": 0.0,
            "khac": 0.0,
        },
        "fields": [
            {"name": "vneid", "confidence": 0.5},
            {"name": "dich_vu_cong", "confidence": 0.3},
            {"name": "chu_ky_so", "confidence": 0.1},
        ],
        "offer": False,
        "redirected_from": "faq",
    }


def test_a_clear_question_read_as_feedback_gets_its_faq_answer() -> None:
    ranking = [
        {"name": "give_feedback", "confidence": 0.6},
        {"name": "faq", "confidence": 0.3},
        {"name": "greet", "confidence": 0.1},
    ]
    kinds = {"cau_hoi": 0.8, "phan_anh": 0.2}
    assert answered_as_faq(ranking[0], ranking, kinds, threshold=0.5, has_answer=True) == [
        {"name": "faq", "confidence": 0.8},
        {"name": "give_feedback", "confidence": pytest.approx(0.2 * 0.6 / 0.7)},
        {"name": "greet", "confidence": pytest.approx(0.2 * 0.1 / 0.7)},
    ]
    # A question only just past the threshold keeps the classifiers' confidence in the
    # message, so the fallback does not take it.
    assert answered_as_faq(
        ranking[0], ranking, {"cau_hoi": 0.35}, threshold=0.3, has_answer=True
    ) == [
        {"name": "faq", "confidence": 0.6},
        {"name": "give_feedback", "confidence": pytest.approx(0.4 * 0.6 / 0.7)},
        {"name": "greet", "confidence": pytest.approx(0.4 * 0.1 / 0.7)},
    ]
    # No FAQ answer to give, a question not clear enough, or another intent: unchanged.
    assert answered_as_faq(ranking[0], ranking, kinds, threshold=0.5, has_answer=False) is None
    assert answered_as_faq(ranking[0], ranking, kinds, threshold=0.9, has_answer=True) is None
    greet = {"name": "greet", "confidence": 0.6}
    assert answered_as_faq(greet, [greet], kinds, threshold=0.5, has_answer=True) is None


def test_a_business_question_gets_its_faq_answer_too() -> None:
    """«Hộ kinh doanh muốn chuyển đổi số thì được xã hỗ trợ những gì»: a business that asks."""
    business = {"name": "business_proposal", "confidence": 0.51}
    ranking = [business, {"name": "faq", "confidence": 0.49}]
    assert answered_as_faq(
        business, ranking, {"cau_hoi": 0.37}, threshold=0.1, has_answer=True
    ) == [
        {"name": "faq", "confidence": 0.51},
        {"name": "business_proposal", "confidence": pytest.approx(0.49)},
    ]
    assert (
        answered_as_faq(business, ranking, {"cau_hoi": 0.37}, threshold=0.5, has_answer=True)
        is None
    )


@pytest.mark.parametrize(
    "config",
    [
        {"start_threshold": 0.3, "offer_threshold": 0.5},
        {"offer_threshold": 0},
        {"question_threshold": 0},
        {"asked_question_threshold": 0},
        {"asked_answer_confidence": 1.5},
        {"doubted": {"out_of_scope": 1.2}},
        {"doubted": ["out_of_scope"]},
        {"doubted_below": -0.1},
        {"explain_first": {"check_ticket_status": "faq/feedback_process"}},
        {"explain_first": {"check_ticket_status": ["feedback_process"]}},
    ],
)
def test_bad_thresholds_are_refused(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        OpinionReader.validate_config(config)


# --- inside Rasa: real tokenizer, featurizer and persistence ------------------------------


def training_messages() -> list[Message]:
    """Built anew per test: featurizing a message adds features to it."""
    return [
        *(
            opinion(text, "phan_anh", "ha_tang_so")
            for text in (
                "mạng internet ở thôn mất suốt",
                "song dien thoai xom toi yeu lam",
                "wifi nhà văn hóa hỏng cả tháng",
                "cap quang dut ma nha mang ko sua",
            )
        ),
        *(
            opinion(text, "kien_nghi", "vneid")
            for text in (
                "đề nghị xã cử người cài vneid cho người già",
                "de nghi cong an xa lam dinh danh tai nha cho cu ong",
                "mong xã hỗ trợ kích hoạt định danh mức 2",
                "xin xa mo them diem lam dinh danh",
            )
        ),
        *(
            faq(text, "vneid_register")
            for text in (
                "làm sao đăng ký vneid",
                "cach kich hoat dinh danh muc 2 the nao",
                "đăng ký định danh ở đâu",
                "vneid la gi",
            )
        ),
        *(
            Message(data={TEXT: text, INTENT: "greet"})
            for text in ("xin chào", "chào bạn", "alo", "hi ad")
        ),
    ]


CONFIG = {
    **OpinionReader.get_default_config(),
    "start_threshold": 0.5,
    "offer_threshold": 0.3,
}


@pytest.fixture
def trained(tmp_path: Path) -> tuple[LocalModelStorage, Any, OpinionReader]:
    storage = LocalModelStorage(tmp_path)
    training = TrainingData(training_messages())
    featurizer = featurize(storage, training)
    reader = OpinionReader.create(CONFIG, storage, Resource("reader"), context())
    reader.train(training)
    return storage, featurizer, reader


def faq_parse(text: str, storage: LocalModelStorage, featurizer: Any) -> Message:
    message = parse(text, storage, featurizer)
    ranking = [{"name": "faq", "confidence": 0.7}, {"name": "give_feedback", "confidence": 0.3}]
    message.set(INTENT, ranking[0])
    message.set(INTENT_RANKING_KEY, ranking)
    return message


def test_a_report_read_as_faq_is_redirected_with_its_kind_and_field(
    trained: tuple[LocalModelStorage, Any, OpinionReader],
) -> None:
    storage, featurizer, reader = trained
    message = faq_parse("mang internet o thon toi mat suot", storage, featurizer)
    reader.process([message])
    assert message.get(INTENT)["name"] == "give_feedback"
    found = message.as_dict(only_output_properties=True)[OPINION]
    assert max(found["kinds"], key=found["kinds"].get) == "phan_anh"
    assert found["fields"][0]["name"] == "ha_tang_so"
    assert found["redirected_from"] == "faq"


def test_a_question_keeps_its_faq_answer(
    trained: tuple[LocalModelStorage, Any, OpinionReader],
) -> None:
    storage, featurizer, reader = trained
    message = faq_parse("làm sao để đăng ký vneid", storage, featurizer)
    reader.process([message])
    assert message.get(INTENT)["name"] == "faq"
    found = message.get(OPINION)
    assert max(found["kinds"], key=found["kinds"].get) == "cau_hoi"
    assert found["redirected_from"] is None


def test_process_gives_a_question_with_an_unsure_answer_only_that_answers_confidence(
    trained: tuple[LocalModelStorage, Any, OpinionReader],
) -> None:
    storage, featurizer, _ = trained
    reader = OpinionReader.load(
        {**CONFIG, "unsure_answer": 0.4}, storage, Resource("reader"), context()
    )

    def unsure(text: str) -> Message:
        message = faq_parse(text, storage, featurizer)
        response = {"intent_response_key": "faq/vneid_register", "confidence": 0.25}
        message.set("response_selector", {"faq": {"response": response, "ranking": []}})
        return message

    question, report = unsure("vneid la gi"), unsure("mang internet o thon toi mat suot")
    reader.process([question, report])
    assert question.get(INTENT)["name"] == "faq"
    assert question.get(INTENT)["confidence"] == pytest.approx(0.25)
    # Read as an opinion: the reader's own route (the form, or the answer with the offer).
    assert report.get(INTENT)["name"] == "give_feedback"


def test_loaded_reader_reads_like_the_trained_one(
    trained: tuple[LocalModelStorage, Any, OpinionReader],
) -> None:
    storage, featurizer, reader = trained
    loaded = OpinionReader.load(CONFIG, storage, Resource("reader"), context())
    first = faq_parse("de nghi xa lam dinh danh cho nguoi gia", storage, featurizer)
    second = faq_parse("de nghi xa lam dinh danh cho nguoi gia", storage, featurizer)
    reader.process([first])
    loaded.process([second])
    assert first.get(OPINION) == second.get(OPINION)
    assert first.get(INTENT) == second.get(INTENT)


def test_a_question_read_as_feedback_is_answered_with_the_selected_faq(
    trained: tuple[LocalModelStorage, Any, OpinionReader],
) -> None:
    storage, featurizer, reader = trained
    message = parse("lam sao dang ky vneid", storage, featurizer)
    ranking = [{"name": "give_feedback", "confidence": 0.6}, {"name": "faq", "confidence": 0.4}]
    message.set(INTENT, ranking[0])
    message.set(INTENT_RANKING_KEY, ranking)
    message.set(
        "response_selector",
        {"faq": {"response": {"intent_response_key": "faq/vneid_register"}, "ranking": []}},
    )
    reader.process([message])
    assert message.get(INTENT)["name"] == "faq"
    assert message.get(INTENT)["full_retrieval_intent_name"] == "faq/vneid_register"
    assert message.get(OPINION)["redirected_from"] == "give_feedback"


def test_a_message_that_asks_with_a_sure_answer() -> None:
    assert asks_with_a_sure_answer(asks=True, answer_confidence=0.6, sure_answer=0.6)
    assert not asks_with_a_sure_answer(asks=True, answer_confidence=0.59, sure_answer=0.6)
    assert not asks_with_a_sure_answer(asks=False, answer_confidence=0.99, sure_answer=0.6)


def test_an_opinion_that_asks_with_a_sure_answer_keeps_the_answer_first() -> None:
    ranking = [{"name": "out_of_scope", "confidence": 0.5}, {"name": "faq", "confidence": 0.5}]
    assert answer_kept(ranking[0], ranking, 0.8) == [
        {"name": "faq", "confidence": 0.8},
        {"name": "out_of_scope", "confidence": pytest.approx(0.2)},
    ]
    assert answer_kept({"name": "faq", "confidence": 0.9}, ranking, 0.8) is None


def selected(message: Message, confidence: float, read_as: str = "give_feedback") -> Message:
    other = "faq" if read_as == "give_feedback" else "give_feedback"
    ranking = [{"name": read_as, "confidence": 0.7}, {"name": other, "confidence": 0.3}]
    message.set(INTENT, ranking[0])
    message.set(INTENT_RANKING_KEY, ranking)
    response = {"intent_response_key": "faq/vneid_register", "confidence": confidence}
    message.set("response_selector", {"faq": {"response": response, "ranking": []}})
    return message


def test_a_situation_told_before_asking_how_gets_the_answer_when_the_answer_is_sure(
    trained: tuple[LocalModelStorage, Any, OpinionReader],
) -> None:
    """The plain bar is set out of reach: only the asking phrase and a sure answer, both
    read by `process`, can lower it."""
    storage, featurizer, _ = trained
    config = {
        **CONFIG,
        "question_threshold": 1.0,
        "asked_question_threshold": 0.01,
        "asked_answer_confidence": 0.6,
    }
    reader = OpinionReader.load(config, storage, Resource("reader"), context())
    asks = "mẹ tôi 80 tuổi muốn đăng ký vneid thì làm ở đâu"
    answered, unsure = (selected(parse(asks, storage, featurizer), c) for c in (0.9, 0.3))
    told = selected(parse("mẹ tôi 80 tuổi đăng ký vneid mãi chưa được", storage, featurizer), 0.9)
    reader.process([answered, unsure, told])
    assert answered.get(INTENT)["name"] == "faq"
    assert answered.get(INTENT)["full_retrieval_intent_name"] == "faq/vneid_register"
    assert unsure.get(INTENT)["name"] == "give_feedback"
    assert told.get(INTENT)["name"] == "give_feedback"


def test_a_report_that_asks_where_keeps_the_sure_answer_and_offers_to_send(
    trained: tuple[LocalModelStorage, Any, OpinionReader],
) -> None:
    storage, featurizer, reader = trained
    reader = OpinionReader.load(
        {**CONFIG, "asked_answer_confidence": 0.6}, storage, Resource("reader"), context()
    )
    text = "mạng internet ở thôn mất suốt thì báo ở đâu"
    for read_as in ("faq", "out_of_scope"):
        sure, unsure = (selected(parse(text, storage, featurizer), c, read_as) for c in (0.9, 0.3))
        reader.process([sure, unsure])
        # Read as an opinion: without a sure answer it starts the form...
        assert unsure.get(INTENT)["name"] == "give_feedback"
        # ...with one, the answer comes first and offers to send it.
        assert sure.get(INTENT)["name"] == "faq"
        assert sure.get(OPINION)["offer"] is True
        if read_as == "faq":
            assert sure.get(OPINION)["redirected_from"] is None
        else:
            assert sure.get(INTENT)["full_retrieval_intent_name"] == "faq/vneid_register"
            assert sure.get(OPINION)["redirected_from"] == read_as


def test_feedback_the_reader_agrees_with_is_made_confident() -> None:
    ranking = [
        {"name": "give_feedback", "confidence": 0.4},
        {"name": "faq", "confidence": 0.35},
        {"name": "greet", "confidence": 0.25},
    ]
    kinds = {"y_kien": 0.9, "cau_hoi": 0.1}
    assert confirmed(ranking[0], ranking, kinds, start=0.7) == [
        {"name": "give_feedback", "confidence": 0.9},
        {"name": "faq", "confidence": pytest.approx(0.1 * 0.35 / 0.6)},
        {"name": "greet", "confidence": pytest.approx(0.1 * 0.25 / 0.6)},
    ]
    # The reader unsure, the classifiers surer already, or another intent: unchanged.
    assert confirmed(ranking[0], ranking, {"y_kien": 0.6}, start=0.7) is None
    sure = {"name": "give_feedback", "confidence": 0.95}
    assert confirmed(sure, [sure], kinds, start=0.7) is None
    faq = {"name": "faq", "confidence": 0.4}
    assert confirmed(faq, [faq], kinds, start=0.7) is None


EXPLAINS = {"check_ticket_status": ["faq/feedback_process"], "delete_my_data": ["faq/privacy"]}


def test_asking_how_to_do_an_action_gets_the_answer_that_explains_it() -> None:
    status = {"name": "check_ticket_status", "confidence": 0.9}
    ranking = [status, {"name": "faq", "confidence": 0.1}]
    lead = explained_first(
        status, ranking, asks=True, answer="faq/feedback_process", explains=EXPLAINS
    )
    assert lead == [
        {"name": "faq", "confidence": 0.9},
        {"name": "check_ticket_status", "confidence": pytest.approx(0.1)},
    ]
    # Said as a request, another answer selected, none, or an action with no answer listed:
    # the action as before.
    for asks, answer in ((False, "faq/feedback_process"), (True, "faq/privacy"), (True, None)):
        assert explained_first(status, ranking, asks=asks, answer=answer, explains=EXPLAINS) is None
    human = {"name": "request_human", "confidence": 0.9}
    assert (
        explained_first(human, [human], asks=True, answer="faq/office_contact", explains=EXPLAINS)
        is None
    )


def test_a_faq_reading_with_an_unsure_answer_keeps_only_the_answers_confidence() -> None:
    faq = {"name": "faq", "confidence": 0.6}
    ranking = [faq, {"name": "out_of_scope", "confidence": 0.3}]
    ranking += [{"name": "greet", "confidence": 0.1}]
    assert answer_doubted(ranking, 0.24, below=0.4) == [
        {"name": "faq", "confidence": 0.24},
        {"name": "out_of_scope", "confidence": pytest.approx(0.76 * 0.75)},
        {"name": "greet", "confidence": pytest.approx(0.76 * 0.25)},
    ]
    # A sure answer, a reading already less sure than its answer, or not faq: unchanged.
    assert answer_doubted(ranking, 0.4, below=0.4) is None
    assert answer_doubted([{"name": "faq", "confidence": 0.2}], 0.3, below=0.4) is None
    assert answer_doubted(ranking[1:], 0.1, below=0.4) is None
    assert answer_doubted([], 0.1, below=0.4) is None


def test_a_faq_reading_that_asks_how_to_do_an_action_names_it_for_its_button() -> None:
    faq = {"name": "faq", "confidence": 0.95}
    ranking = [faq, {"name": "check_ticket_status", "confidence": 0.03}]
    ranking += [{"name": "give_feedback", "confidence": 0.02}]
    action = explained_action(
        faq, ranking, asks=True, answer="faq/feedback_process", explains=EXPLAINS
    )
    assert action == "check_ticket_status"
    # Not asking, another answer, none, the action not next, or not read as faq: no action.
    for asks, answer in ((False, "faq/feedback_process"), (True, "faq/privacy"), (True, None)):
        assert explained_action(faq, ranking, asks=asks, answer=answer, explains=EXPLAINS) is None
    feedback_next = [faq, ranking[2], ranking[1]]
    assert (
        explained_action(
            faq, feedback_next, asks=True, answer="faq/feedback_process", explains=EXPLAINS
        )
        is None
    )
    status = {"name": "check_ticket_status", "confidence": 0.9}
    assert (
        explained_action(
            status, [status, faq], asks=True, answer="faq/feedback_process", explains=EXPLAINS
        )
        is None
    )


def test_process_answers_how_to_see_ones_tickets_and_keeps_the_request(
    trained: tuple[LocalModelStorage, Any, OpinionReader],
) -> None:
    storage, featurizer, _ = trained
    reader = OpinionReader.load(
        {**CONFIG, "explain_first": EXPLAINS}, storage, Resource("reader"), context()
    )

    def status(text: str, first: str = "check_ticket_status") -> Message:
        message = parse(text, storage, featurizer)
        other = "faq" if first == "check_ticket_status" else "check_ticket_status"
        ranking = [{"name": first, "confidence": 0.8}, {"name": other, "confidence": 0.1}]
        message.set(INTENT, ranking[0])
        message.set(INTENT_RANKING_KEY, ranking)
        response = {"intent_response_key": "faq/feedback_process", "confidence": 0.5}
        message.set("response_selector", {"faq": {"response": response, "ranking": []}})
        return message

    asked, said = status("xem tiến độ phiếu của tôi ở đâu"), status("tra cứu phiếu của tôi")
    reader.process([asked, said])
    assert asked.get(INTENT) == {
        "name": "faq",
        "confidence": 0.8,
        "full_retrieval_intent_name": "faq/feedback_process",
    }
    assert asked.get(OPINION)["redirected_from"] == "check_ticket_status"
    assert said.get(INTENT)["name"] == "check_ticket_status"
    assert said.get(OPINION)["redirected_from"] is None
    # Read as faq already, the action next: the answer, and the action for its button.
    read_as_faq = status("muốn tra cứu ý kiến đã gửi thì làm thế nào", first="faq")
    reader.process([read_as_faq])
    assert read_as_faq.get(INTENT)["name"] == "faq"
    assert read_as_faq.get(OPINION)["redirected_from"] == "check_ticket_status"


def test_a_doubted_out_of_scope_that_asks_with_a_sure_answer_gets_the_answer() -> None:
    unsure = {"name": "out_of_scope", "confidence": 0.55}
    ranking = [unsure, {"name": "faq", "confidence": 0.45}]

    def read(intent: dict[str, Any], ranking: list[dict[str, Any]], **changed: Any) -> Any:
        settings = {
            "sure_question": True,
            "thresholds": {"out_of_scope": 0.7},
            "below": 0.4,
            "answer_confidence": 0.98,
            **changed,
        }
        return doubted(intent, ranking, **settings)

    assert read(unsure, ranking) == [
        {"name": "faq", "confidence": 0.98},
        {"name": "out_of_scope", "confidence": pytest.approx(0.02)},
    ]
    # Sure it is out of scope, not asking with a sure answer, or off (0): unchanged.
    sure = {"name": "out_of_scope", "confidence": 0.91}
    assert read(sure, [sure]) is None
    assert read(unsure, ranking, sure_question=False) is None
    assert read(unsure, ranking, thresholds={}) is None
    greet = {"name": "greet", "confidence": 0.5}
    assert read(greet, [greet]) is None


def test_any_reading_below_the_fallback_that_asks_with_a_sure_answer_gets_the_answer() -> None:
    """«Những điều tôi kể với trợ lý thì cán bộ nào được mở ra đọc?»: request_human at 0.38,
    the privacy answer at 0.71. The fallback's menu would answer nothing."""
    weak = {"name": "request_human", "confidence": 0.38}
    ranking = [weak, {"name": "faq", "confidence": 0.29}, {"name": "greet", "confidence": 0.33}]
    settings = {"thresholds": {"out_of_scope": 0.7}, "below": 0.4, "answer_confidence": 0.71}
    assert doubted(weak, ranking, sure_question=True, **settings) == [
        {"name": "faq", "confidence": 0.71},
        {"name": "request_human", "confidence": pytest.approx(0.29 * 0.38 / 0.71)},
        {"name": "greet", "confidence": pytest.approx(0.29 * 0.33 / 0.71)},
    ]
    assert doubted(weak, ranking, sure_question=False, **settings) is None
    assert doubted(weak, ranking, sure_question=True, **{**settings, "below": 0.3}) is None
    # An opinion is the other rules' to route: unchanged here.
    feedback = {"name": "give_feedback", "confidence": 0.35}
    assert doubted(feedback, [feedback], sure_question=True, **settings) is None


def test_a_faq_reading_less_sure_than_its_sure_answer_takes_the_answers_confidence() -> None:
    """faq at 0.52 and give_feedback at 0.48 is too close for the fallback; the message asks
    («... thì tìm gặp ai?») and the answer is sure (0.99): the answer goes out."""
    faq = {"name": "faq", "confidence": 0.52}
    ranking = [faq, {"name": "give_feedback", "confidence": 0.48}]
    settings = {"thresholds": {"out_of_scope": 0.7}, "below": 0.4}
    assert doubted(faq, ranking, sure_question=True, answer_confidence=0.99, **settings) == [
        {"name": "faq", "confidence": 0.99},
        {"name": "give_feedback", "confidence": pytest.approx(0.01)},
    ]
    assert doubted(faq, ranking, sure_question=True, answer_confidence=0.5, **settings) is None
    assert doubted(faq, ranking, sure_question=False, answer_confidence=0.99, **settings) is None


def test_a_question_read_as_feedback_keeps_the_confidence_of_its_sure_answer() -> None:
    """faq would lead at max(0.33, 0.32) and fall to the fallback's ambiguity check; asked
    with a sure answer, it keeps the answer's 0.66."""
    feedback = {"name": "give_feedback", "confidence": 0.32}
    ranking = [feedback, {"name": "faq", "confidence": 0.3}]
    kinds = {"cau_hoi": 0.33}
    led = answered_as_faq(feedback, ranking, kinds, threshold=0.1, has_answer=True, floor=0.66)
    assert led is not None and led[0] == {"name": "faq", "confidence": 0.66}
    plain = answered_as_faq(feedback, ranking, kinds, threshold=0.1, has_answer=True)
    assert plain is not None and plain[0] == {"name": "faq", "confidence": 0.33}


def test_a_form_intent_doubted_below_its_threshold_that_asks_gets_the_answer() -> None:
    """«Bà có mấy chục con gà ..., đăng thế nào cho người ta tin mà mua?»: read as
    report_misinformation at 0.61, the e-commerce answer at 0.7. The misinformation form
    unasked would not answer; a sure report (0.9) still starts it."""
    unsure = {"name": "report_misinformation", "confidence": 0.61}
    ranking = [unsure, {"name": "faq", "confidence": 0.24}]
    settings = {
        "sure_question": True,
        "thresholds": {"out_of_scope": 0.7, "report_misinformation": 0.7},
        "below": 0.4,
        "answer_confidence": 0.7,
    }
    led = doubted(unsure, ranking, **settings)
    assert led is not None and led[0] == {"name": "faq", "confidence": 0.7}
    sure = {"name": "report_misinformation", "confidence": 0.9}
    assert doubted(sure, [sure, ranking[1]], **settings) is None
    assert doubted(unsure, ranking, **{**settings, "thresholds": {"out_of_scope": 0.7}}) is None
