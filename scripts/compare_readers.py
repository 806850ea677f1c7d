"""Kind and field of a first message: how well the reader's classifier reads them.

Trains the regressions of engine_addons/opinion_reader.py (TF-IDF of word and character
n-grams of the normalised text) outside Rasa, on the same examples, and prints on the
development set how often the likeliest opinion kind and the likeliest field are right
(the field also above confidence thresholds), for several regularisation strengths and
with or without the FAQ examples teaching fields (each topic mapped to a field). It
chose the reader's settings in a second instead of a model training per try; the whole
assistant is then scored by `make conversation-report`. Run in the engine's environment
(scikit-learn):

    PYTHONPATH=. .venv/engine/bin/python -m scripts.compare_readers

Never run it on the held-out set: it is for choosing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OPINION_KINDS = ("phan_anh", "kien_nghi", "gop_y")
NEITHER_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help",
    "out_of_scope", "cancel", "request_human", "check_ticket_status", "delete_my_data",
}  # fmt: skip


# The FAQ topics' fields, for the "FAQ examples teach fields too" variant.
FAQ_FIELDS = {
    "nq57_overview": "tuyen_truyen", "nq57_goals": "tuyen_truyen",
    "nq57_local_plan": "tuyen_truyen", "nq57_business_support": "tuyen_truyen",
    "vneid_register": "vneid", "vneid_update": "vneid", "vneid_forgot_password": "vneid",
    "ehealth_book": "vneid", "digital_signature": "chu_ky_so",
    "cashless_payment": "thuong_mai_dien_tu", "online_public_services": "dich_vu_cong",
    "binh_dan_hoc_vu_so": "ky_nang_so", "digital_skills_support": "ky_nang_so",
    "ecommerce": "thuong_mai_dien_tu", "digital_transformation_day": "tuyen_truyen",
}  # fmt: skip


def examples() -> list[dict[str, Any]]:
    """(text, intent, faq key, metadata) of every NLU example."""
    found = []
    for path in sorted((ROOT / "nlu").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = str(block.get("intent") or "")
            if not intent:
                continue
            name, _, key = intent.partition("/")
            raw = block.get("examples")
            if isinstance(raw, str):
                rows = [(line.strip()[2:], {}) for line in raw.splitlines() if line.strip()]
            else:
                rows = [(str(e["text"]).strip(), e.get("metadata") or {}) for e in raw or []]
            found += [{"text": t, "intent": name, "faq": key, "meta": m} for t, m in rows]
    return found


def kind_of(example: dict[str, Any]) -> str | None:
    if example["meta"].get("kind"):
        return str(example["meta"]["kind"])
    if example["intent"] == "faq":
        return "cau_hoi"
    if example["intent"] == "business_proposal":
        return "kien_nghi"
    return "khac" if example["intent"] in NEITHER_INTENTS else None


def field_of(example: dict[str, Any], fields: dict[str, str], with_faq: bool) -> str | None:
    if example["meta"].get("field"):
        return str(example["meta"]["field"])
    if with_faq and example["intent"] == "faq":
        return fields.get(example["faq"])
    return None


def main() -> None:
    from engine_addons.opinion_reader import _classifier

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="dev", choices=["dev"])
    args = parser.parse_args()
    items = yaml.safe_load(
        (ROOT / "tests" / "conversation" / f"{args.set}.yml").read_text(encoding="utf-8")
    )["items"]
    opinions = [i for i in items if i["type"] != "question" and not i.get("business")]
    data, fields = examples(), FAQ_FIELDS
    for with_faq in (True, False):
        for strength in (0.3, 1.0, 3.0, 10.0):
            started = time.perf_counter()
            kinds = [(e["text"], kind_of(e)) for e in data if kind_of(e)]
            field_rows = [(e["text"], field_of(e, fields, with_faq)) for e in data]
            field_rows = [(t, f) for t, f in field_rows if f]
            kind_model = _classifier(strength).fit([t for t, _ in kinds], [k for _, k in kinds])
            field_model = _classifier(strength).fit(
                [t for t, _ in field_rows], [f for _, f in field_rows]
            )
            texts = [i["text"] for i in opinions]
            kind_p = kind_model.predict_proba(texts)
            field_p = field_model.predict_proba(texts)
            kind_ok = 0
            for item, row in zip(opinions, kind_p, strict=True):
                scores = dict(zip(kind_model.classes_, row, strict=True))
                kind_ok += max(OPINION_KINDS, key=lambda k: scores.get(k, 0.0)) == item["kind"]
            curve = []
            for threshold in (0.0, 0.5, 0.7):
                shown = right = 0
                for item, row in zip(opinions, field_p, strict=True):
                    best = max(range(len(row)), key=lambda i: row[i])
                    if row[best] >= threshold:
                        shown += 1
                        right += field_model.classes_[best] == item["field"]
                curve.append(f"{threshold:.1f}: {right}/{shown}")
            seconds = time.perf_counter() - started
            print(
                f"faq examples for fields {'yes' if with_faq else 'no '}  C={strength:<4} "
                f"kind {kind_ok}/{len(opinions)}  field {'  '.join(curve)}  ({seconds:.0f} s)"
            )


if __name__ == "__main__":
    main()
