"""The channel benchmark's pure parts (bench/channels.py, bench/report.py, the options of
bench/__main__.py): reading Zalo's numbered choices as zalo/app.py renders them, reading
the widget's answer, and the ratio to Telegram."""

from __future__ import annotations

import math

import pytest

from bench.__main__ import in_turn, parse_args
from bench.channels import numbered_choice, widget_replies
from bench.report import ratio, render_channels
from bot.conversation import Reply
from laikhe.choices import Button, pick
from testkit.residents import StepFailed
from zalo.app import render

CONSENT = Reply(
    "Bảo vệ dữ liệu cá nhân: ...", (Button("Đồng ý", "/affirm"), Button("Không", "/deny"))
)
VILLAGES = Reply(
    "Anh/Chị ở thôn nào?",
    (
        Button("Thôn Mẫu 1 (mẫu)", '/inform{"village":"1"}'),
        Button("Thôn Mẫu 2 (mẫu)", '/inform{"village":"2"}'),
    ),
)


def test_the_number_read_from_a_zalo_turn_presses_that_button_in_the_zalo_process() -> None:
    # Two replies in one turn are numbered on across the turn: the second's start at 3.
    texts, buttons = render([CONSENT, VILLAGES])
    number = numbered_choice(texts, "Thôn Mẫu 2 (mẫu)")
    assert number == "4"
    pressed = pick(number, buttons)
    assert pressed is not None and pressed.payload == '/inform{"village":"2"}'
    assert numbered_choice(texts, "Đồng ý") == "1"


def test_a_title_that_is_not_a_numbered_line_is_no_choice() -> None:
    texts, _ = render([Reply("Gửi ý kiến? Anh/Chị chọn Gửi hoặc Sửa.")])
    assert numbered_choice(texts, "Gửi") is None
    texts, _ = render([VILLAGES])
    assert numbered_choice(texts, "Thôn Mẫu") is None  # the whole title, not a prefix


def test_the_widget_answer_gives_the_assistant_s_texts_its_buttons_and_the_newest_id() -> None:
    answer = {
        "messages": [
            {"id": 7, "from_resident": True, "text": "gửi góp ý", "buttons": []},
            {"id": 8, "from_resident": False, "text": "Bảo vệ dữ liệu", "buttons": []},
            {
                "id": 9,
                "from_resident": False,
                "text": "Anh/Chị đồng ý chứ?",
                "buttons": [{"title": "Đồng ý", "payload": "/affirm"}],
            },
        ]
    }
    assert widget_replies(answer) == (
        ["Bảo vệ dữ liệu", "Anh/Chị đồng ý chứ?"],
        {"Đồng ý": "/affirm"},
        9,
    )


def test_a_widget_error_answer_fails_the_step() -> None:
    with pytest.raises(StepFailed):
        widget_replies({"error": "Anh/Chị gửi nhanh quá."})


def test_the_ratio_to_telegram() -> None:
    assert ratio(125.0, 100.0) == "1.25× (+25 %)"
    assert ratio(80.0, 100.0) == "0.80× (-20 %)"
    assert ratio(math.nan, 100.0) == ratio(100.0, None) == ratio(1.0, 0.0) == "–"


def test_quick_mode_and_one_channel_alone() -> None:
    quick = parse_args(["--quick", "--channels", "zalo"])
    assert (quick.residents, quick.runs, quick.channels) == ([1, 10], 1, ["zalo"])
    full = parse_args([])
    assert (full.residents, full.runs) == ([1, 10, 50], 3)
    assert full.channels == ["parse", "rest", "telegram", "zalo", "web"]
    assert parse_args(["--quick", "--runs", "2"]).runs == 2
    assert parse_args(["--channels", "web,telegram"]).channels == ["telegram", "web"]
    with pytest.raises(SystemExit):
        parse_args(["--channels", "viber"])


def test_each_path_takes_each_place_once_over_as_many_runs_as_paths() -> None:
    layers = ["parse", "telegram", "zalo", "web"]
    orders = [in_turn(layers, run) for run in range(3)]
    assert orders == [
        ["telegram", "zalo", "web"],
        ["zalo", "web", "telegram"],
        ["web", "telegram", "zalo"],
    ]
    assert in_turn(layers, 3) == orders[0]
    assert in_turn(["parse"], 1) == []


def test_the_channel_table_shows_the_pooled_p95_of_every_run_and_its_ratio() -> None:
    def layer(p95: float) -> dict[str, object]:
        figure = {"p50_ms": p95 / 2, "p95_ms": p95}
        return {
            "all": figure,
            "faq": figure,
            "ticket": figure,
            "errors": 0,
            "load": [[0.5, 0.4, 0.3]],
        }

    results = {
        "started": "2026-12-03 09:00:00 UTC",
        "runs": 7,
        "machine": {"cores": 2, "load_at_start": [0.5]},
        "load_at_end": [0.6],
        "databases": {"tickets": "sqlite", "tracker": "sqlite"},
        "model": "laikhe-x.tar.gz",
        "think_s": 3.0,
        "idle_rss": {},
        "cases": {
            "1": {
                "layers": {"telegram": layer(100.0), "web": layer(130.0)},
                "pooled": {
                    "telegram": {"p95_ms": 100.0, "n": 84},
                    "web": {"p95_ms": 110.0, "n": 84},
                },
                "peak_rss": {},
                "peak_rss_total": 0,
            }
        },
    }
    table = render_channels(results)
    assert "| 1 | web | 65 | 130 | 130 | 130 | 1.30× (+30 %) |" in table
    assert "| 1 | 100 (84 turns) | 110 (84 turns, 1.10× (+10 %)) |" in table
