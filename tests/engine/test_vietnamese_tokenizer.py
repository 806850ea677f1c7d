"""VietnameseTokenizer inside Rasa 3.6 (run with the engine virtualenv).

cd /work/main && PYTHONPATH=. .venv/engine/bin/python -m pytest tests/engine -q \
    -p no:cacheprovider --confcutdir tests/engine
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import unicodedata
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.utils import bilou_utils
from rasa.shared.nlu.constants import (
    ACTION_NAME,
    ENTITIES,
    INTENT,
    INTENT_RESPONSE_KEY,
    RESPONSE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from engine_addons.vietnamese import VietnameseTokenizer

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_tokenizer(tmp_path: Path, **overrides: Any) -> VietnameseTokenizer:
    config = {**VietnameseTokenizer.get_default_config(), **overrides}
    return VietnameseTokenizer.create(
        config,
        LocalModelStorage(tmp_path),
        Resource("vietnamese_tokenizer"),
        ExecutionContext(GraphSchema({}), uuid.uuid4().hex),
    )


@pytest.fixture
def tokenizer(tmp_path: Path) -> VietnameseTokenizer:
    return make_tokenizer(tmp_path)


def spans(text: str, tokens: list[Token]) -> list[tuple[str, str]]:
    """(normalised token, original slice) pairs."""
    return [(token.text, text[token.start : token.end]) for token in tokens]


def tokenize_text(tokenizer: VietnameseTokenizer, text: str) -> list[Token]:
    return tokenizer.tokenize(Message(data={TEXT: text}), TEXT)


def test_accented_question(tokenizer: VietnameseTokenizer) -> None:
    text = "Làm sao đăng ký VNeID?"
    tokens = tokenize_text(tokenizer, text)
    assert spans(text, tokens) == [
        ("lam", "Làm"),
        ("sao", "sao"),
        ("dang", "đăng"),
        ("ky", "ký"),
        ("vneid", "VNeID"),
    ]
    assert [(token.start, token.end) for token in tokens] == [
        (0, 3),
        (4, 7),
        (8, 12),
        (13, 15),
        (16, 21),
    ]
    assert all(token.lemma == token.text for token in tokens)


def test_abbreviation_expands_to_tokens_sharing_the_span(tokenizer: VietnameseTokenizer) -> None:
    text = "quen mk vneid"
    tokens = tokenize_text(tokenizer, text)
    assert spans(text, tokens) == [
        ("quen", "quen"),
        ("mat", "mk"),
        ("khau", "mk"),
        ("vneid", "vneid"),
    ]


def test_nfd_offsets_index_the_original_text(tokenizer: VietnameseTokenizer) -> None:
    text = unicodedata.normalize("NFD", "Đăng ký tài khoản định danh")
    tokens = tokenize_text(tokenizer, text)
    assert [token.text for token in tokens] == ["dang", "ky", "tai", "khoan", "dinh", "danh"]
    assert [text[token.start : token.end] for token in tokens] == text.split()
    assert tokens[-1].end == len(text)


def test_ticket_code_is_one_token(tokenizer: VietnameseTokenizer) -> None:
    text = "Cho tôi tra cứu hồ sơ LK-2026-000123 nhé."
    tokens = tokenize_text(tokenizer, text)
    code = [token for token in tokens if token.text == "lk-2026-000123"]
    assert len(code) == 1
    start = text.index("LK-2026-000123")
    assert (code[0].start, code[0].end) == (start, start + len("LK-2026-000123"))
    assert tokens[-1].text == "nhe"


def test_emoji_only_text_keeps_one_token(tokenizer: VietnameseTokenizer) -> None:
    tokens = tokenize_text(tokenizer, " 👍 ")
    assert [(token.text, token.start, token.end) for token in tokens] == [("👍", 1, 2)]


def test_token_pattern_pieces_keep_the_original_span(tmp_path: Path) -> None:
    tokenizer = make_tokenizer(tmp_path, token_pattern=r"[a-z]+|\d+")
    text = "Hồ sơ LK-2026"
    tokens = tokenize_text(tokenizer, text)
    assert [(token.text, token.start, token.end) for token in tokens] == [
        ("ho", 0, 2),
        ("so", 3, 5),
        ("lk", 6, 13),
        ("2026", 6, 13),
    ]


def test_entity_offsets_stay_aligned(tokenizer: VietnameseTokenizer) -> None:
    plain = "Tra cứu hồ sơ LK-2026-000123 giúp tôi"
    decomposed = unicodedata.normalize("NFD", "Hồ sơ LK-2026-000124 của ông Đặng Văn Hoà")
    examples = []
    for text, value, entity in [
        (plain, "LK-2026-000123", "ticket_code"),
        (decomposed, "LK-2026-000124", "ticket_code"),
        (decomposed, unicodedata.normalize("NFD", "Đặng Văn Hoà"), "person"),
    ]:
        start = text.index(value)
        examples.append(
            Message(
                data={
                    TEXT: text,
                    INTENT: "tra_cuu",
                    ENTITIES: [
                        {
                            "start": start,
                            "end": start + len(value),
                            "value": value,
                            "entity": entity,
                        }
                    ],
                }
            )
        )
    training_data = tokenizer.process_training_data(TrainingData(examples))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        EntityExtractorMixin.check_correct_entity_annotations(training_data)
    assert not [warning for warning in caught if "Misaligned" in str(warning.message)]

    tagged = []
    for example in training_data.training_examples:
        tokens = example.get(TOKENS_NAMES[TEXT])
        entities = bilou_utils.map_message_entities(example)
        tags = bilou_utils.bilou_tags_from_offsets(tokens, entities)
        tagged.append(
            [(token.text, tag) for token, tag in zip(tokens, tags, strict=True) if tag != "O"]
        )
        text = example.get(TEXT)
        for entity in example.get(ENTITIES):
            assert text[entity["start"] : entity["end"]] == entity["value"]
    assert tagged == [
        [("lk-2026-000123", "U-ticket_code")],
        [("lk-2026-000124", "U-ticket_code")],
        [("dang", "B-person"), ("van", "I-person"), ("hoa", "L-person")],
    ]


def test_names_use_rasa_split_and_text_attributes_use_vntext(tmp_path: Path) -> None:
    tokenizer = make_tokenizer(tmp_path, intent_tokenization_flag=True)
    message = Message(
        data={
            TEXT: "Đăng ký mk",
            INTENT: "hoi_dang_ky",
            RESPONSE: "Bạn vào mục Đăng ký nhé",
            INTENT_RESPONSE_KEY: "faq/hoi_vneid",
        }
    )
    training_data = tokenizer.process_training_data(TrainingData([message]))
    example = training_data.training_examples[0]
    texts = {
        attribute: [token.text for token in example.get(TOKENS_NAMES[attribute])]
        for attribute in (TEXT, INTENT, RESPONSE, INTENT_RESPONSE_KEY)
    }
    assert texts == {
        TEXT: ["dang", "ky", "mat", "khau"],
        INTENT: ["hoi", "dang", "ky"],
        RESPONSE: ["ban", "vao", "muc", "dang", "ky", "nhe"],
        INTENT_RESPONSE_KEY: ["faq", "hoi", "vneid"],
    }

    # process() (inference / core featurisation) routes names the same way.
    [processed] = tokenizer.process(
        [Message(data={ACTION_NAME: "utter_hoi_vneid", INTENT_RESPONSE_KEY: "faq/hoi_vneid"})]
    )
    assert [t.text for t in processed.get(TOKENS_NAMES[ACTION_NAME])] == ["utter", "hoi", "vneid"]
    assert [t.text for t in processed.get(TOKENS_NAMES[INTENT_RESPONSE_KEY])] == [
        "faq",
        "hoi",
        "vneid",
    ]


# --- end to end: rasa train nlu + Agent.load --------------------------------------------

NLU_DATA = """\
version: "3.1"
nlu:
- intent: hoi_vneid
  examples: |
    - Làm sao đăng ký tài khoản VNeID
    - đăng ký định danh điện tử ở đâu
    - cách kích hoạt tài khoản VNeID mức 2
    - tôi muốn làm VNeID
    - đăng ký VNeID cần giấy tờ gì
    - hướng dẫn đăng ký định danh điện tử
- intent: quen_mat_khau
  examples: |
    - tôi quên mật khẩu
    - quên mật khẩu VNeID thì làm thế nào
    - lấy lại mật khẩu ở đâu
    - đổi mật khẩu tài khoản
    - mật khẩu bị sai hoài
    - không nhớ mật khẩu đăng nhập
- intent: tra_cuu_ho_so
  examples: |
    - tra cứu hồ sơ [LK-2026-000123](ticket_code)
    - hồ sơ của tôi đến đâu rồi
    - kiểm tra tình trạng hồ sơ
    - hồ sơ [LK-2026-000045](ticket_code) xử lý chưa
    - xem tiến độ giải quyết hồ sơ
    - bao giờ có kết quả hồ sơ
"""

CONFIG = """\
recipe: default.v1
language: vi
assistant_id: vntext_test
pipeline:
  - name: engine_addons.vietnamese.VietnameseTokenizer
  - name: CountVectorsFeaturizer
  - name: DIETClassifier
    epochs: 5
    random_seed: 42
policies: []
"""


@pytest.mark.slow
def test_train_and_parse_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(NLU_DATA, encoding="utf-8")
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "nlu",
            "--config",
            "config.yml",
            "--nlu",
            "data/nlu.yml",
            "--out",
            "models",
            "--fixed-model-name",
            "nlu",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, textwrap.shorten(result.stdout + result.stderr, 4000)
    model = tmp_path / "models" / "nlu.tar.gz"
    assert model.is_file()

    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    def parse(text: str) -> dict[str, Any]:
        parsed: dict[str, Any] = asyncio.run(agent.parse_message(text))
        return parsed

    accented = parse("Làm sao đăng ký tài khoản VNeID")
    plain = parse("lam sao dang ky tai khoan vneid")
    decomposed = parse(unicodedata.normalize("NFD", "Làm sao đăng ký tài khoản VNeID"))
    # Identical normalised tokens mean identical features, hence identical predictions.
    assert plain["intent"] == accented["intent"] == decomposed["intent"]
    assert plain["intent_ranking"] == accented["intent_ranking"]
    assert plain["intent"]["name"] == "hoi_vneid"

    # Token offsets reported by the engine index the text as the user sent it.
    assert [tuple(span) for span in decomposed["text_tokens"]][:2] == [(0, 4), (5, 8)]

    teencode = parse("quen mk vneid thi lam the nao")
    assert teencode["intent"]["name"] == "quen_mat_khau"
    assert teencode["text"] == "quen mk vneid thi lam the nao"
    assert [tuple(span) for span in teencode["text_tokens"]][:4] == [
        (0, 4),
        (5, 7),
        (5, 7),
        (8, 13),
    ]
