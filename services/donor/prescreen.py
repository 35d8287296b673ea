"""The short questionnaire a donor answers when booking: what would certainly stop a collection that day.

Data, not code: each question says which answer defers, with the reason code a refusal carries. Drawn from
GB 18467-2011's deferral list (docs/domain-reference.md §2) as self-declared facts; the station's own health
check on the day still decides. A booking refused here costs nobody a trip (一次都不跑).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    code: str
    text: str                   # Simplified Chinese, as the mini-program shows it
    defers_if: bool             # the answer that refuses the booking
    reason: str                 # the refusal's reason code


QUESTIONS: tuple[Question, ...] = (
    Question("feeling_well", "您近期身体状况良好，无发热、感冒等不适吗？", False, "prescreen_unwell"),
    Question("tattoo_or_piercing_12m", "过去一年内您是否有文身、穿耳洞或针灸？", True, "prescreen_tattoo"),
    Question("surgery_6m", "过去半年内您是否做过手术或输过血？", True, "prescreen_surgery"),
    Question("antibiotics_7d", "过去一周内您是否服用过抗生素等药物？", True, "prescreen_medication"),
    Question("pregnant_or_nursing", "您目前是否怀孕、哺乳或在产后一年内？（男性请选“否”）", True, "prescreen_pregnancy"),
    Question("malaria_area_12m", "过去一年内您是否到过疟疾流行地区？", True, "prescreen_travel"),
)
CODES = tuple(q.code for q in QUESTIONS)


def refusals(answers: dict[str, bool]) -> list[str]:
    """The reasons the answers give to refuse a booking (none: it may be booked). Every question is required."""
    return [q.reason for q in QUESTIONS if answers[q.code] == q.defers_if]
