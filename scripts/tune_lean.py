"""Chooses the lean classifiers' settings on the development sets (engine env).

    PYTHONPATH=. .venv/engine/bin/python scripts/tune_lean.py

Trains config-lean.yml's tokenizer and featurizers on nlu/ once, then for each setting
fits LeanIntentClassifier and LeanResponseSelector (engine_addons/lean_classifiers.py)
and scores the label a parse would give (the intent, the FAQ key for `faq`,
`nlu_fallback` under the FallbackClassifier's thresholds) on tests/nlu/dev.yml, dev2 and
dev3, with the 5-fold cross-validated log loss of the intent model on the training data.
No OpinionReader: the whole model is scored by scripts/evaluate_nlu.py --model. The
held-out set is not read.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEV_SETS = ("dev.yml", "dev2.yml", "dev3.yml")
# config.yml's FallbackClassifier.
FALLBACK_THRESHOLD = 0.4
AMBIGUITY = 0.05
SETTINGS = [
    {"model": "logistic", "C": c, "response_keys": keys}
    for c in (3, 10, 30, 100, 300)
    for keys in (False, True)
] + [{"model": "svm", "C": c, "response_keys": True} for c in (0.3, 1, 3)]  # fmt: skip
# A quicker pass: `--only` followed by settings indices.
if "--only" in sys.argv:
    SETTINGS = [SETTINGS[int(i)] for i in sys.argv[sys.argv.index("--only") + 1].split(",")]


def featurizers() -> list[Any]:
    import yaml
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )
    from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import (
        LexicalSyntacticFeaturizer,
    )
    from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer

    from engine_addons.vietnamese import VietnameseTokenizer

    classes = {
        "engine_addons.vietnamese.VietnameseTokenizer": VietnameseTokenizer,
        "RegexFeaturizer": RegexFeaturizer,
        "LexicalSyntacticFeaturizer": LexicalSyntacticFeaturizer,
        "CountVectorsFeaturizer": CountVectorsFeaturizer,
    }
    pipeline = yaml.safe_load((ROOT / "config-lean.yml").read_text(encoding="utf-8"))["pipeline"]
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    parts = []
    for index, step in enumerate(s for s in pipeline if s["name"] in classes):
        cls = classes[step["name"]]
        config = {**cls.get_default_config(), **{k: v for k, v in step.items() if k != "name"}}
        context = ExecutionContext(GraphSchema({}), uuid.uuid4().hex)
        parts.append(cls.create(config, storage, Resource(f"part{index}"), context))
    return parts


def main() -> None:
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.message import Message
    from sklearn.metrics import log_loss, make_scorer
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from engine_addons.lean_classifiers import (
        LeanIntentClassifier,
        LeanResponseSelector,
        make_classifier,
        sentence_features,
    )

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config-lean.yml"), str(ROOT / "domain.yml"), [str(ROOT / "nlu")]
    )
    training = importer.get_nlu_data()
    parts = featurizers()
    for part in parts:
        if hasattr(part, "train"):
            part.train(training)
        part.process_training_data(training)
    dev: list[tuple[Message, str]] = []
    for name in DEV_SETS:
        for example in load_data(str(ROOT / "tests" / "nlu" / name)).intent_examples:
            label = example.get("intent_response_key") or example.get("intent")
            dev.append((Message(data={"text": example.get("text")}), str(label)))
    messages = [message for message, _ in dev]
    for part in parts:
        part.process(messages)
    examples = [e for e in training.intent_examples if e.get("text") and e.get("intent")]
    x = sentence_features(examples)
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    print(f"{len(examples)} training examples, {len(dev)} development sentences")
    for setting in SETTINGS:
        intents = LeanIntentClassifier(setting, storage, Resource(uuid.uuid4().hex))
        y = [intents.label(e) for e in examples]
        # Every label named: an intent with few examples can be missing from a fold.
        scorer = make_scorer(
            log_loss, greater_is_better=False, needs_proba=True, labels=sorted(set(y))
        )
        # The 5-fold log loss of the intent model's own labels (slow: `--cv`).
        loss = (
            -cross_val_score(
                make_classifier(str(setting["model"]), float(setting["C"])),
                x, y, cv=folds, scoring=scorer,
            ).mean()
            if "--cv" in sys.argv
            else float("nan")
        )  # fmt: skip
        intents.train(training)
        selector = LeanResponseSelector(setting, storage, Resource(uuid.uuid4().hex))
        selector.train(training)
        right = fallbacks = oos = oos_right = 0
        tops = []
        for (_, gold), ranking, keys in zip(
            dev, intents.intent_rankings(messages), selector.rankings(messages), strict=True
        ):
            (name, top), second = ranking[0], (ranking[1][1] if len(ranking) > 1 else 0.0)
            label = keys[0][0] if name == "faq" else name
            if top < FALLBACK_THRESHOLD or top - second < AMBIGUITY:
                label = "nlu_fallback"
                fallbacks += 1
            tops.append(top)
            right += label == gold
            oos += gold == "out_of_scope"
            oos_right += gold == "out_of_scope" and label == gold
        print(
            f"{setting}: CV log loss {loss:.3f}, dev accuracy {right / len(dev):.1%}, "
            f"fallbacks {fallbacks}, out_of_scope recall {oos_right / oos:.1%}, "
            f"median top confidence {sorted(tops)[len(tops) // 2]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
