"""Choose IntentVote's blend weight on the development set, never on the held-out one.

Runs in the ENGINE environment:
    PYTHONPATH=. .venv/engine/bin/python scripts/tune_vote.py [--config C | --model M]
        [--full] [--seed-shift K] [--set S]

Trains the NLU part of C (default config-tf.yml, the previous pipeline), or with --full
the whole model as `make model` does, unless a trained model M is given, then
for every sentence of tests/nlu/dev.yml records the DIETs' rankings (the graph run up to
IntentVote), the regression's distribution and the ResponseSelector's FAQ key. The blend is a
pure function of those (`engine_addons.intent_vote.blend`), so every weight from 0
(DIET alone) to 1 (regression alone) is scored from one training, with the
model's own FallbackClassifier deciding the fallback as in the pipeline. Prints one line per weight:
accuracy, macro F1, out_of_scope recall and fallbacks. Only aggregates are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.evaluate_nlu import (  # noqa: E402  (sets the engine's environment first)
    FALLBACK,
    Example,
    load_examples,
    score,
    train,
    train_full,
    write_seed_shifted,
)

DEV = ROOT / "tests" / "nlu" / "dev.yml"
WEIGHTS = [round(step / 10, 1) for step in range(11)]


@dataclass(frozen=True)
class Observation:
    opinions: list[list[dict[str, Any]]]  # the DIETs' rankings, as IntentVote receives them
    regression: dict[str, float]  # IntentVote's own distribution
    faq_key: str  # the ResponseSelector's full retrieval intent, e.g. "faq/privacy"
    parsed: str  # the label the whole pipeline gives, for a consistency check


def node_named(runner: Any, component: type) -> str:
    names = [
        name
        for name, node in runner._graph_schema.nodes.items()
        if node.uses is component and name.startswith("run_")
    ]
    if len(names) != 1:
        sys.exit(f"expected one {component.__name__} in the graph, found {names}")
    return names[0]


@dataclass(frozen=True)
class Loaded:
    """What the loaded model decides with, read from its components, not from a config."""

    weight: float  # IntentVote's configured weight
    ranking_length: int  # IntentVote's cut of the blended ranking
    fallback: Any  # the model's FallbackClassifier


def observe(model: Path, examples: list[Example]) -> tuple[list[Observation], Loaded]:
    import logging

    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.log_utils import configure_structlog
    from rasa.utils.tensorflow.constants import RANKING_LENGTH

    from engine_addons.intent_vote import WEIGHT, IntentVote, opinions_on

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    assert agent.processor is not None
    runner = agent.processor.graph_runner
    vote_node = node_named(runner, IntentVote)
    before_vote = runner._graph_schema.nodes[vote_node].needs["messages"]
    vote = runner._instantiated_nodes[vote_node]._component
    fallback = runner._instantiated_nodes[node_named(runner, FallbackClassifier)]._component
    loaded = Loaded(float(vote.config[WEIGHT]), int(vote.config[RANKING_LENGTH]), fallback)

    async def parse(text: str) -> dict[str, Any]:
        return await agent.parse_message(text)

    observations = []
    for example in examples:
        inputs = {
            PLACEHOLDER_MESSAGE: [UserMessage(example.text)],
            PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("tune", []),
        }
        message = runner.run(inputs=inputs, targets=[before_vote])[before_vote][0]
        opinions = [[dict(entry) for entry in ranking] for ranking in opinions_on(message)]
        regression = vote.own_distributions([message])[0]
        parsed = asyncio.run(parse(example.text))
        selected = parsed.get("response_selector", {}).get("faq", {}).get("response", {})
        faq_key = str(selected.get("intent_response_key") or "faq")
        label = parsed["intent"]["name"]
        observations.append(
            Observation(opinions, regression, faq_key, faq_key if label == "faq" else str(label))
        )
    return observations, loaded


def label_at(observation: Observation, weight: float, loaded: Loaded) -> str:
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from engine_addons.intent_vote import blend

    ranking = blend(observation.opinions, observation.regression, weight)
    if loaded.ranking_length > 0:
        ranking = ranking[: loaded.ranking_length]
    message = Message(data={TEXT: "", INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    # The model's own FallbackClassifier decides, thresholds and all.
    if loaded.fallback._should_fallback(message):
        return FALLBACK
    return observation.faq_key if ranking[0]["name"] == "faq" else str(ranking[0]["name"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, default=ROOT / "config-tf.yml")
    parser.add_argument("--model", type=Path, help="a trained model (--config is then unused)")
    parser.add_argument(
        "--full", action="store_true",
        help="train C's whole model as `make model` does, not its NLU part alone",
    )  # fmt: skip
    parser.add_argument(
        "--seed-shift", type=int, default=0,
        help="train C with every random_seed moved by this (as make nlu-report's other seeds)",
    )  # fmt: skip
    parser.add_argument("--set", type=Path, default=DEV)
    args = parser.parse_args()
    if args.model and args.seed_shift:
        parser.error("--seed-shift retrains C; a given --model keeps its own seeds")
    if "heldout" in args.set.name:
        sys.exit("the held-out set only measures; choose settings on the development set")
    examples = load_examples(args.set)
    with tempfile.TemporaryDirectory() as tmp:
        config = args.config
        if args.seed_shift:
            config = write_seed_shifted(args.config, args.seed_shift, Path(tmp))
        model = args.model or (train_full if args.full else train)(config, Path(tmp))[0]
        observations, loaded = observe(model, examples)
    consistent = sum(label_at(o, loaded.weight, loaded) == o.parsed for o in observations)
    print(f"{len(examples)} sentences of {args.set.name}; the recomputed blend at the configured")
    print(f"weight {loaded.weight} agrees with the pipeline's own parse on {consistent}")
    print("weight  accuracy  macro F1  out_of_scope recall  fallbacks")
    for weight in WEIGHTS:
        scores = score(examples, [label_at(o, weight, loaded) for o in observations])
        print(
            f"{weight:>6}  {scores.accuracy:8.1%}  {scores.macro_f1:8.3f}"
            f"  {scores.out_of_scope_recall:19.1%}  {scores.fallbacks:9d}"
        )


if __name__ == "__main__":
    main()
