"""services.faq_proposals.accepted_yaml: what the maintainer pastes must load back as
exactly the accepted question and answer, whatever they contain."""

from __future__ import annotations

import yaml

from db.models import FaqProposal, ProposalStatus
from services.faq_proposals import accepted_yaml

ANSWER = (
    'Mang theo: "căn cước" và sổ hộ khẩu #1.\n\n'
    "- Sáng: 7h30 - 11h30\n"
    "    (thứ Bảy: nghỉ)\n"
    "Hỏi thêm: gõ «hướng dẫn»."
)


def _proposal(number: int, status: ProposalStatus, question: str) -> FaqProposal:
    return FaqProposal(id=number, question=question, answer=ANSWER, status=status)


def test_accepted_entries_load_back_unchanged_and_others_are_left_out() -> None:
    text = accepted_yaml(
        [
            _proposal(7, ProposalStatus.ACCEPTED, 'Làm căn cước cần gì: "giấy tờ" nào?'),
            _proposal(8, ProposalStatus.REJECTED, "Bị từ chối"),
            _proposal(9, ProposalStatus.PROPOSED, "Chưa duyệt"),
        ]
    )
    nlu, responses = text.split("# nlu/faq_responses.yml")
    assert yaml.safe_load(nlu) == [
        {"intent": "faq/de_xuat_7", "examples": '- Làm căn cước cần gì: "giấy tờ" nào?\n'}
    ]
    loaded = yaml.safe_load("responses:\n" + responses.split("\n", 1)[1])
    assert loaded == {"responses": {"utter_faq/de_xuat_7": [{"text": ANSWER + "\n"}]}}
    assert accepted_yaml([_proposal(8, ProposalStatus.REJECTED, "x")]) == ""
