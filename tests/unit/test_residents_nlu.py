"""nlu/residents.yml is the development sets' messages as training data, current, and
never a held-out sentence (scripts/residents_nlu.py)."""

from __future__ import annotations

import pytest
import yaml

from laikhe.vntext import normalize
from scripts import residents_nlu
from scripts.conversation_sets import DEVELOPMENT, HELD_OUT, set_items


def trained() -> dict[str, dict[str, object]]:
    """Normalised text -> {intent, metadata} of every example of nlu/residents.yml."""
    data = yaml.safe_load(residents_nlu.TARGET.read_text(encoding="utf-8"))
    return {
        normalize(str(example["text"])): {
            "intent": block["intent"],
            "metadata": example.get("metadata"),
        }
        for block in data["nlu"]
        for example in block["examples"]
    }


def test_the_file_is_what_the_development_sets_make() -> None:
    assert residents_nlu.TARGET.read_text(encoding="utf-8") == residents_nlu.generated()


def test_the_sets_are_development_or_held_out_never_both() -> None:
    assert set(DEVELOPMENT).isdisjoint(HELD_OUT)


@pytest.mark.parametrize("name", HELD_OUT)
def test_no_held_out_sentence_is_trained(name: str) -> None:
    examples = trained()
    assert [item["text"] for item in set_items(name) if normalize(item["text"]) in examples] == []


def test_each_development_item_trains_its_labels() -> None:
    examples = trained()
    # Left out only when nlu/ holds it already, or it must never be trained.
    left_out = residents_nlu.hand_written() | residents_nlu.never_trained()
    wrong = []
    for name in DEVELOPMENT:
        for item in set_items(name):
            example = examples.get(normalize(item["text"]))
            if example is None:
                if normalize(item["text"]) not in left_out:
                    wrong.append((name, item["text"], "missing"))
                continue
            if item["type"] == "question":
                expected = {"intent": f"faq/{item['faq']}", "metadata": None}
            else:
                metadata = {"kind": item["kind"]}
                if item.get("field"):
                    metadata["field"] = item["field"]
                intent = "business_proposal" if item.get("business") else "give_feedback"
                expected = {"intent": intent, "metadata": metadata}
            if example != expected:
                wrong.append((name, item["text"], example))
    assert wrong == []


def question(text: str, faq: str) -> dict[str, str]:
    return {"text": text, "type": "question", "kind": "cau_hoi", "faq": faq}


def test_examples_leaves_out_what_is_known_and_repeats_nothing() -> None:
    business = {"kind": "kien_nghi", "field": "ky_nang_so"}
    report = {"kind": "phan_anh", "field": "ha_tang_so"}
    items = [
        question("Đăng ký VNeID ở đâu?", "vneid_register"),
        question("dang ky vneid o dau", "vneid_register"),
        question("đã có trong nlu", "privacy"),
        {"text": "Cty em đề nghị xã mở lớp", "type": "request", "business": True, **business},
        {"text": "đèn  đường hỏng", "type": "report", **report},
    ]
    assert residents_nlu.examples(items, {normalize("đã có trong nlu")}) == {
        "faq/vneid_register": [{"text": "Đăng ký VNeID ở đâu?"}],
        "business_proposal": [{"text": "Cty em đề nghị xã mở lớp", "metadata": business}],
        "give_feedback": [{"text": "đèn đường hỏng", "metadata": report}],
    }
