"""Chooses IntentVote's C by 5-fold cross-validation on the training data (engine env).

    PYTHONPATH=. .venv/engine/bin/python scripts/choose_vote_c.py

The held-out set is not read. Features approximate the pipeline's two
CountVectorsFeaturizers (syllable 1-2-grams and char_wb 2-4-grams over the normalised
tokens); the regression is set up as Rasa's LogisticRegressionClassifier sets it up
(balanced classes), and each C is scored by cross-validated log loss and accuracy of
the top-level intent (faq/* counts as faq, as IntentVote sees it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml
from scipy.sparse import hstack
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from laikhe.vntext import tokenize_with_offsets  # noqa: E402

ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # "[LK-2026-000123](ticket_code)"


def training_examples() -> tuple[list[str], list[str]]:
    texts, intents = [], []
    for name in ("intents.yml", "faq.yml"):
        for block in yaml.safe_load((ROOT / "nlu" / name).read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                if line.startswith("- "):
                    text = ANNOTATION.sub(r"\1", line[2:])
                    texts.append(" ".join(t.text for t in tokenize_with_offsets(text)))
                    intents.append(block["intent"].split("/")[0])
    return texts, intents


def main() -> None:
    texts, intents = training_examples()
    words = CountVectorizer(ngram_range=(1, 2), token_pattern=r"\S+").fit(texts)
    chars = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(texts)
    features = hstack([words.transform(texts), chars.transform(texts)]).tocsr()
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    print(
        f"{features.shape[0]} examples, {features.shape[1]} features, {len(set(intents))} intents"
    )
    for c in (0.1, 0.3, 1, 3, 10, 30):
        model = LogisticRegression(C=c, max_iter=1000, class_weight="balanced")
        scores = cross_validate(
            model, features, intents, cv=folds, scoring=("neg_log_loss", "accuracy")
        )
        print(
            f"C={c}: log loss {-scores['test_neg_log_loss'].mean():.3f}, "
            f"accuracy {scores['test_accuracy'].mean():.3f}"
        )


if __name__ == "__main__":
    main()
