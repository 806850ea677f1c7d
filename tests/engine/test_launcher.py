"""The engine launcher takes the API token from the environment, never from argv."""

from __future__ import annotations

import pytest

from engine_addons.serve import _argv_with_token

TOKEN = "t" * 32
RUN = ["run", "--model", "m.tar.gz"]


def test_without_the_api_nothing_is_added() -> None:
    assert _argv_with_token(RUN, {"RASA_TOKEN": TOKEN}) == RUN


def test_the_api_gets_its_token_from_the_environment() -> None:
    assert _argv_with_token([*RUN, "--enable-api"], {"RASA_TOKEN": TOKEN}) == [
        *RUN,
        "--enable-api",
        f"--auth-token={TOKEN}",
    ]


def test_a_token_that_starts_with_a_dash_reaches_rasa_whole() -> None:
    # secrets.token_urlsafe may start with "-"; Rasa's own parser must not read it as an option.
    from rasa.__main__ import create_argument_parser

    token = "-" + "x" * 40
    argv = _argv_with_token(["run", "--model", "m.tar.gz", "--enable-api"], {"RASA_TOKEN": token})
    assert create_argument_parser().parse_args(argv).auth_token == token


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        ([*RUN, "--enable-api"], {}),  # an open API: every conversation readable
        ([*RUN, "--enable-api"], {"RASA_TOKEN": "short"}),
        ([*RUN, "--enable-api", "--auth-token", TOKEN], {"RASA_TOKEN": TOKEN}),
        ([*RUN, "--enable-api", f"--auth-token={TOKEN}"], {}),
    ],
)
def test_refused(argv: list[str], environ: dict[str, str]) -> None:
    with pytest.raises(SystemExit):
        _argv_with_token(argv, environ)
