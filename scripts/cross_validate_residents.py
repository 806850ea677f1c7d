"""Does training on the development sets' messages help on messages it never saw?

Two-fold cross-validation over the development sets (scripts/conversation_sets.py): the
model is trained with nlu/residents.yml made of one half of the sets
(scripts/residents_nlu.py --sets) and scores the other half, then the other way round;
the baseline is trained without nlu/residents.yml. It prints per fold and in all:

* questions: plain questions read as `faq` at or above the fallback's threshold with the
  labelled FAQ answer selected (what gets the answer first);
* opinions: reports, requests and suggestions read as `give_feedback` or
  `business_proposal` (the form starts), or as `faq` with the offer to send.

A parse-level stand-in for scripts/conversation_report.py (which drives the whole stack,
a minute a set), and a benchmark, not a test: it trains three models, about two minutes
each. `--config` tries another pipeline (the baseline keeps config.yml). Engine environment:

    PYTHONPATH=. .venv/engine/bin/python scripts/cross_validate_residents.py
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import residents_nlu  # noqa: E402
from scripts.conversation_sets import DEVELOPMENT, set_items  # noqa: E402

FALLBACK_THRESHOLD = 0.4
OPINIONS = ("give_feedback", "business_proposal")
# Every other development set in each half, so that each half mixes old and new sets.
FOLDS = (DEVELOPMENT[1::2], DEVELOPMENT[0::2])


@dataclass
class Score:
    questions: int = 0
    questions_right: int = 0
    opinions: int = 0
    opinions_right: int = 0

    def add(self, other: Score) -> None:
        self.questions += other.questions
        self.questions_right += other.questions_right
        self.opinions += other.opinions
        self.opinions_right += other.opinions_right

    def __str__(self) -> str:
        return (
            f"questions {self.questions_right}/{self.questions}, "
            f"opinions {self.opinions_right}/{self.opinions}"
        )


def train(workdir: Path, config: Path, sets: tuple[str, ...]) -> Path:
    """A model trained in `workdir` on nlu/ by hand, plus `sets` as residents' examples."""
    data = workdir / "nlu"
    shutil.copytree(ROOT / "nlu", data)
    (data / residents_nlu.TARGET.name).unlink(missing_ok=True)
    if sets:
        (data / residents_nlu.TARGET.name).write_text(
            residents_nlu.generated(sets), encoding="utf-8"
        )
    shutil.copy(config, workdir / "config.yml")
    shutil.copy(ROOT / "domain.yml", workdir / "domain.yml")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    command = [sys.executable, "-m", "rasa", "train", "--config", "config.yml"]
    command += ["--domain", "domain.yml", "--data", "nlu", "--out", "models"]
    command += ["--fixed-model-name", "model"]
    subprocess.run(command, cwd=workdir, env=env, check=True, capture_output=True)
    return workdir / "models" / "model.tar.gz"


async def score(model: Path, sets: tuple[str, ...]) -> Score:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Unconfigured structlog logs every parse, its text included, at debug level.
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    result = Score()
    for name in sets:
        for item in set_items(name):
            parsed: dict[str, Any] = await agent.parse_message(str(item["text"]))
            intent, confidence = parsed["intent"]["name"], parsed["intent"]["confidence"]
            selected = parsed.get("response_selector", {}).get("faq", {}).get("response", {})
            if item["type"] == "question":
                result.questions += 1
                result.questions_right += (
                    intent == "faq"
                    and confidence >= FALLBACK_THRESHOLD
                    and selected.get("intent_response_key") == f"faq/{item['faq']}"
                )
            else:
                offered = intent == "faq" and bool((parsed.get("opinion") or {}).get("offer"))
                result.opinions += 1
                result.opinions_right += intent in OPINIONS or offered
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = train(Path(tmp) / "base", ROOT / "config.yml", ())
        rows = {
            "config.yml without residents.yml": [
                asyncio.run(score(base, held)) for held in (FOLDS[1], FOLDS[0])
            ],
            f"{args.config.name} with residents.yml": [
                asyncio.run(score(train(Path(tmp) / f"fold{i}", args.config, trained), held))
                for i, (trained, held) in enumerate(((FOLDS[0], FOLDS[1]), (FOLDS[1], FOLDS[0])))
            ],
        }
    print(f"fold 1 trains on {' '.join(FOLDS[0])}; fold 2 on {' '.join(FOLDS[1])}")
    for label, (first, second) in rows.items():
        total = Score()
        total.add(first)
        total.add(second)
        print(f"{label}: fold 1 {first}; fold 2 {second}; in all {total}")


if __name__ == "__main__":
    main()
