"""How long services.question_groups takes on generated unanswered questions.

`.venv/app/bin/python scripts/bench_question_groups.py`: 20 common questions asked with
and without diacritics, in capitals, with filler words, mixed with random one-off
questions; prints groups and seconds per run, with the load average (shared machine)."""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from laikhe.vntext import fold_diacritics
from services.question_groups import group_questions

TOPICS = [
    "mất mạng ở nhà văn hóa",
    "đăng ký tài khoản VNeID",
    "tiêm phòng dại cho chó",
    "đóng thuế đất",
    "giờ làm việc của xã",
    "đổi bằng lái xe",
    "cấp lại căn cước",
    "xin giấy khai sinh cho con",
    "đường thôn bị ngập",
    "đèn đường không sáng",
    "rác không được thu gom",
    "trợ cấp người cao tuổi",
    "học bổng cho học sinh nghèo",
    "đăng ký kết hôn",
    "chứng thực bản sao",
    "sửa sổ hộ khẩu",
    "nước sạch bị đục",
    "đất nông nghiệp chuyển đổi",
    "vay vốn ngân hàng chính sách",
    "bảo hiểm y tế hộ gia đình",
]
BEFORE = ["", "cho hỏi ", "xin hỏi ", "ad ơi ", "làm sao ", "em muốn hỏi "]
AFTER = ["", " ở đâu", " thế nào", " ạ", " vậy", " khi nào", "?"]
WORDS = [
    "anh",
    "chi",
    "em",
    "xa",
    "thon",
    "lai",
    "khe",
    "mau",
    "cong",
    "an",
    "truong",
    "hoc",
    "cho",
    "benh",
    "vien",
    "cau",
    "duong",
    "song",
    "ruong",
    "lua",
    "ngo",
    "lon",
    "ga",
    "trau",
    "bo",
    "dien",
    "nuoc",
]
START = datetime(2026, 6, 1, tzinfo=timezone.utc)


def generated(count: int, one_off: float, rng: random.Random) -> list[tuple[str, datetime]]:
    questions = []
    for index in range(count):
        if rng.random() < one_off:
            words = rng.choices(WORDS, k=rng.randint(3, 9))
            text = " ".join(words) + f" {rng.randint(1, 999)}"
        else:
            text = rng.choice(BEFORE) + rng.choice(TOPICS) + rng.choice(AFTER)
            text = fold_diacritics(text) if rng.random() < 0.4 else text
            text = text.upper() if rng.random() < 0.2 else text
        questions.append((text, START + timedelta(minutes=index)))
    return questions


def main() -> None:
    rng = random.Random(7)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for count, one_off in ((1000, 0.3), (3000, 0.3), (5000, 0.3), (3000, 1.0)):
        questions = generated(count, one_off, rng)
        started = time.perf_counter()
        groups = group_questions(questions)
        seconds = time.perf_counter() - started
        print(f"{count} questions, {one_off:.0%} one-off: {len(groups)} groups, {seconds:.2f} s")


if __name__ == "__main__":
    main()
