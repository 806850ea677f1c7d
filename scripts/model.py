"""Train the Rasa model only when its inputs changed.

The model file name carries a fingerprint of everything that shapes it (pipeline, domain,
training data, our tokenizer, the engine lock), so `make run` and `make test` reuse a
model that is still valid and retrain one that is not.

`--lean` trains config-lean.yml instead (no TensorFlow model, docs/lean-engine.md) as
models/lean-<fingerprint>.tar.gz, beside the shipped model and never in its place.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE_PYTHON = ROOT / ".venv" / "engine" / "bin" / "python"
MODEL_INPUTS = [
    "config.yml",
    "domain.yml",
    "nlu",
    # Graph components change the model; the launcher addons only change how it serves.
    "engine_addons/vietnamese.py",
    "engine_addons/intent_vote.py",
    "engine_addons/opinion_reader.py",
    "laikhe/vntext.py",
    "requirements/engine.lock",
]
# The lean pipeline: its own config and classifiers in place of config.yml's.
LEAN_INPUTS = ["config-lean.yml" if entry == "config.yml" else entry for entry in MODEL_INPUTS] + [
    "engine_addons/lean_classifiers.py"
]


def fingerprint(lean: bool = False) -> str:
    digest = hashlib.sha256()
    for entry in LEAN_INPUTS if lean else MODEL_INPUTS:
        path = ROOT / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def prefix(lean: bool) -> str:
    return "lean" if lean else "laikhe"


def model_path(lean: bool = False) -> Path:
    return ROOT / "models" / f"{prefix(lean)}-{fingerprint(lean)}.tar.gz"


def engine_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.setdefault("PYTHONHASHSEED", "57")
    return env


def ensure_model(lean: bool = False) -> Path:
    target = model_path(lean)
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
            "config-lean.yml" if lean else "config.yml",
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
    for old in target.parent.glob(f"{prefix(lean)}-*"):
        if old not in (target, training_record(target)):
            old.unlink()
    return target


def training_record(model: Path) -> Path:
    return model.with_name(model.name.removesuffix(".tar.gz") + ".train.json")


if __name__ == "__main__":
    lean = "--lean" in sys.argv[1:]
    if "path" in sys.argv[1:]:
        print(model_path(lean))
    else:
        ensure_model(lean)
