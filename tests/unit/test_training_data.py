"""The training data honours the catalog and keeps the held-out set honest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from laikhe.vntext import fold_diacritics, normalize

ROOT = Path(__file__).resolve().parents[2]
CATALOG_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help", "out_of_scope",
    "request_human", "cancel", "give_feedback", "business_proposal", "report_misinformation",
    "file_complaint", "check_ticket_status", "delete_my_data",
}  # fmt: skip
FAQ_KEYS = {
    "nq57_overview", "nq57_goals", "nq57_local_plan", "nq57_business_support", "vneid_register",
    "vneid_update", "vneid_forgot_password", "ehealth_book", "digital_signature",
    "cashless_payment", "online_public_services", "binh_dan_hoc_vu_so", "digital_skills_support",
    "ecommerce", "digital_transformation_day", "feedback_process", "privacy", "office_contact",
}  # fmt: skip
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)|\[([^\]]+)\]\{[^}]+\}")


def _examples(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for block in data.get("nlu", []):
        if "intent" in block:
            examples = block["examples"]
            if isinstance(examples, list):  # examples with metadata: [{text, metadata}]
                lines = [str(example["text"]).strip() for example in examples]
            else:
                lines = [ln[2:].strip() for ln in examples.splitlines() if ln.startswith("- ")]
            found.setdefault(block["intent"], []).extend(
                ANNOTATION.sub(r"\1\2", ln) for ln in lines
            )
    return found


def _training() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for path in sorted((ROOT / "nlu").glob("*.yml")):
        for intent, texts in _examples(path).items():
            merged.setdefault(intent, []).extend(texts)
    return merged


def test_every_catalog_intent_and_faq_key_is_trained_with_enough_examples() -> None:
    training = _training()
    assert set(training) >= CATALOG_INTENTS
    assert {f"faq/{key}" for key in FAQ_KEYS} <= set(training)
    labels = CATALOG_INTENTS | {f"faq/{key}" for key in FAQ_KEYS}
    counts = {label: len(set(map(normalize, training[label]))) for label in labels}
    assert min(counts.values()) >= 20, counts
    assert sum(counts.values()) / len(counts) >= 40, counts


def test_every_faq_key_has_an_answer_in_the_responses() -> None:
    responses = yaml.safe_load((ROOT / "nlu" / "faq_responses.yml").read_text(encoding="utf-8"))
    assert set(responses["responses"]) == {f"utter_faq/{key}" for key in FAQ_KEYS}
    for name, variants in responses["responses"].items():
        text = variants[0]["text"]
        assert len(text) <= 700, name
        assert fold_diacritics(text) != text, f"{name} must be written with diacritics"


def test_heldout_set_is_large_mixed_and_never_seen_in_training() -> None:
    heldout = [
        text
        for texts in _examples(ROOT / "tests" / "nlu" / "heldout.yml").values()
        for text in texts
    ]
    assert len(heldout) >= 300
    no_diacritics = sum(fold_diacritics(t) == t for t in heldout)
    assert no_diacritics / len(heldout) >= 0.40
    seen = {normalize(t) for texts in _training().values() for t in texts}
    leaked = [t for t in heldout if normalize(t) in seen]
    assert leaked == []


@pytest.mark.parametrize(("name", "size"), [("dev.yml", 300), ("dev2.yml", 150), ("dev3.yml", 200)])
def test_development_sets_cover_every_label_and_are_neither_trained_nor_held_out(
    name: str, size: int
) -> None:
    # The development sets are where settings are chosen (scripts/tune_vote.py), so that
    # the held-out set only ever measures; they are useful only if training never saw them.
    dev = _examples(ROOT / "tests" / "nlu" / name)
    assert set(dev) == CATALOG_INTENTS | {f"faq/{key}" for key in FAQ_KEYS}
    texts = [text for group in dev.values() for text in group]
    assert len(texts) >= size
    seen = {normalize(t) for texts in _training().values() for t in texts}
    assert [t for t in texts if normalize(t) in seen] == []
    heldout = {
        normalize(text)
        for group in _examples(ROOT / "tests" / "nlu" / "heldout.yml").values()
        for text in group
    }
    assert [t for t in texts if normalize(t) in heldout] == []
