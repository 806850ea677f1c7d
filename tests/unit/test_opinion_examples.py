"""The labelled opinions of nlu/opinions.yml (issue #22) can train a kind and field
classifier: every example carries a known kind and field, every field and kind has
enough examples, and they are written as residents write."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from laikhe.vntext import fold_diacritics, normalize

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"phan_anh", "kien_nghi", "gop_y"}
# Minimum examples per kind and per field (8 fields of config/commune.yml, khac included).
KIND_MINIMUM = {"phan_anh": 130, "kien_nghi": 80, "gop_y": 80}
FIELD_MINIMUM = 25


def examples() -> list[dict[str, Any]]:
    data = yaml.safe_load((ROOT / "nlu" / "opinions.yml").read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = []
    for block in data["nlu"]:
        assert block["intent"] == "give_feedback", block["intent"]
        assert isinstance(block["examples"], list), "examples with metadata: a list of dicts"
        found.extend(block["examples"])
    return found


def field_codes() -> set[str]:
    data = yaml.safe_load((ROOT / "config" / "commune.yml").read_text(encoding="utf-8"))
    return {category["code"] for category in data["categories"]}


def test_every_example_has_a_text_and_a_known_kind_and_field() -> None:
    fields = field_codes()
    for example in examples():
        assert set(example) == {"text", "metadata"}, example
        assert str(example["text"]).strip(), example
        assert set(example["metadata"]) == {"kind", "field"}, example
        assert example["metadata"]["kind"] in KINDS, example
        assert example["metadata"]["field"] in fields, example


def test_every_kind_and_every_field_has_enough_examples() -> None:
    found = examples()
    kinds = Counter(example["metadata"]["kind"] for example in found)
    fields = Counter(example["metadata"]["field"] for example in found)
    for kind, minimum in KIND_MINIMUM.items():
        assert kinds[kind] >= minimum, kinds
    for code in field_codes():
        assert fields[code] >= FIELD_MINIMUM, fields
    # Each field is reported, requested and suggested, so the kind is learnt from the
    # words used and not from the topic.
    pairs = Counter((e["metadata"]["field"], e["metadata"]["kind"]) for e in found)
    assert all(pairs[(code, kind)] >= 8 for code in field_codes() for kind in KINDS), pairs


def test_examples_are_unique_and_written_as_residents_write() -> None:
    texts = [str(example["text"]).strip() for example in examples()]
    keys = [normalize(text) for text in texts]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    plain = sum(fold_diacritics(text) == text for text in texts) / len(texts)
    assert 0.4 <= plain <= 0.6, plain
    # The hard case of issue #22: a report that names an FAQ topic is still a report.
    topics = ["vneid", "dinh danh", "dich vu cong", "dvc", "chu ky so", "suc khoe"]
    topics += ["nghi quyet 57", "qr", "khong tien mat", "binh dan hoc vu so"]
    assert sum(any(topic in key for topic in topics) for key in keys) >= 80
