"""The NLU report's seed variants: only the seeds move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scripts.evaluate_nlu import shift_seeds, write_seed_shifted

CONFIG = Path(__file__).resolve().parents[2] / "config-tf.yml"


def seeds_of(config: dict[str, Any]) -> list[int]:
    return [c["random_seed"] for c in config["pipeline"] if "random_seed" in c]


def test_shifting_moves_every_seed_of_the_previous_config_and_nothing_else() -> None:
    text = CONFIG.read_text(encoding="utf-8")
    committed = yaml.safe_load(text)
    shifted = yaml.safe_load(shift_seeds(text, 2))
    assert len(seeds_of(committed)) >= 2  # DIET and ResponseSelector at least
    assert seeds_of(shifted) == [seed + 2 for seed in seeds_of(committed)]
    for before, after in zip(committed["pipeline"], shifted["pipeline"], strict=True):
        assert {k: v for k, v in before.items() if k != "random_seed"} == {
            k: v for k, v in after.items() if k != "random_seed"
        }
    assert committed["policies"] == shifted["policies"]


def test_other_numbers_stay() -> None:
    text = "  - name: DIETClassifier\n    epochs: 57\n    random_seed: 57\n"
    assert shift_seeds(text, 1) == "  - name: DIETClassifier\n    epochs: 57\n    random_seed: 58\n"


def test_the_shifted_copy_is_written_beside_never_over_the_config(tmp_path: Path) -> None:
    variant = write_seed_shifted(CONFIG, 1, tmp_path)
    assert variant == tmp_path / "config-tf-seed-shift-1.yml"
    text = CONFIG.read_text(encoding="utf-8")
    assert variant.read_text(encoding="utf-8") == shift_seeds(text, 1) != text


def test_the_shipped_config_has_no_seed_so_one_training_tells_all() -> None:
    shipped = yaml.safe_load((CONFIG.parent / "config.yml").read_text(encoding="utf-8"))
    assert seeds_of(shipped) == []
    assert not any(
        "DIET" in c["name"] or c["name"] == "ResponseSelector" for c in shipped["pipeline"]
    )
