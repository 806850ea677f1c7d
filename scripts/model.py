"""Train the Rasa model only when its inputs changed.

The model file name carries a fingerprint of everything that shapes it (pipeline, domain,
training data, our tokenizer, the engine lock), so `make run` and `make test` reuse a
model that is still valid and retrain one that is not.

The shipped pipeline, config.yml, has no TensorFlow model (docs/lean-engine.md).
`--pipeline tf` trains the previous one, config-tf.yml (DIET, IntentVote, ResponseSelector),
as models/tf-<fingerprint>.tar.gz beside the shipped model, for side-by-side comparison.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT = Path(__file__).resolve().parent.parent
ENGINE_PYTHON = ROOT / ".venv" / "engine" / "bin" / "python"
SHARED_INPUTS = [
    "domain.yml",
    "nlu",
    # Graph components change the model; the launcher addons only change how it serves.
    "engine_addons/vietnamese.py",
    "engine_addons/opinion_reader.py",
    "laikhe/vntext.py",
    "requirements/engine.lock",
]


@dataclass(frozen=True)
class Pipeline:
    config: str
    prefix: str  # of the model file's name
    components: tuple[str, ...]  # our graph components that only this pipeline uses

    @property
    def inputs(self) -> list[str]:
        return [self.config, *SHARED_INPUTS, *self.components]


PIPELINES: Final = {
    "lean": Pipeline("config.yml", "laikhe", ("engine_addons/lean_classifiers.py",)),
    "tf": Pipeline("config-tf.yml", "tf", ("engine_addons/intent_vote.py",)),
}
SHIPPED: Final = "lean"
MODEL_INPUTS = PIPELINES[SHIPPED].inputs


def fingerprint(pipeline: str = SHIPPED) -> str:
    digest = hashlib.sha256()
    for entry in PIPELINES[pipeline].inputs:
        path = ROOT / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path(pipeline: str = SHIPPED) -> Path:
    return ROOT / "models" / f"{PIPELINES[pipeline].prefix}-{fingerprint(pipeline)}.tar.gz"


def engine_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.setdefault("PYTHONHASHSEED", "57")
    return env


def ensure_model(pipeline: str = SHIPPED) -> Path:
    target = model_path(pipeline)
    if target.exists():
        print(f"model up to date: {target.relative_to(ROOT)}")
        return target
    target.parent.mkdir(exist_ok=True)
    print(f"training {target.relative_to(ROOT)} ...", flush=True)
    load, started = os.getloadavg(), time.monotonic()
    subprocess.run(
        [
            str(ENGINE_PYTHON),
            "-m",
            "rasa",
            "train",
            "--config",
            PIPELINES[pipeline].config,
            "--domain",
            "domain.yml",
            "--data",
            "nlu",
            "--out",
            "models",
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
        ],
        cwd=ROOT,
        env=engine_env(),
        check=True,
    )
    # Kept beside the model for the benchmark (docs/performance.md): the machine is shared,
    # so the load average at the start is part of the number.
    training_record(target).write_text(
        json.dumps({"seconds": round(time.monotonic() - started, 1), "load": load})
    )
    for old in target.parent.glob(f"{PIPELINES[pipeline].prefix}-*"):
        if old not in (target, training_record(target)):
            old.unlink()
    return target


def training_record(model: Path) -> Path:
    return model.with_name(model.name.removesuffix(".tar.gz") + ".train.json")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["path"], help="print the model's path")
    parser.add_argument("--pipeline", choices=sorted(PIPELINES), default=SHIPPED)
    args = parser.parse_args(argv)
    if args.command == "path":
        print(model_path(args.pipeline))
    else:
        ensure_model(args.pipeline)


if __name__ == "__main__":
    main()
