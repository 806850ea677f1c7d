"""Run the Rasa command line with our engine fixes installed first.

`python -m engine_addons.serve run --model ...` takes the same arguments as
`python -m rasa`. It exists for one fix (engine_addons/action_validation.py); every
process that serves conversations starts the engine through it.
"""

from __future__ import annotations

import sys

from engine_addons import action_validation


def main() -> None:
    action_validation.install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
