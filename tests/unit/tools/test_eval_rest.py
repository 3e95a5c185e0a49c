"""How `make eval` scores a blind FAQ set's answers."""

from __future__ import annotations

import pytest

from tools.eval_rest import Answer, right_topic_or_safe


def answer(gold: str, topic: str) -> Answer:
    return Answer(text="q", gold=gold, topic=topic, reply="", seconds=0.0)


@pytest.mark.parametrize(
    ("gold", "topic", "ok"),
    [
        ("faq/cost_overview", "cost", True),
        ("faq/cost_overview", "out_of_scope", False),  # an entry answers it: a refusal is a miss
        ("cost", "out_of_scope", True),  # no entry answers it: saying so is safe
        ("cost", "personal_advice", True),
        ("cost", "side_effects", False),
    ],
)
def test_a_safe_reply_counts_only_where_no_entry_answers(gold: str, topic: str, ok: bool) -> None:
    assert right_topic_or_safe(answer(gold, topic)) is ok


def test_the_crisis_reply_counts_alone_or_after_the_emergency_reply() -> None:
    def crisis(*topics: str) -> bool:
        return Answer("q", "crisis", topics[0], "", 0.0, topics=topics).crisis_reply

    assert crisis("crisis") and crisis("emergency", "crisis")
    assert not crisis("emergency") and not crisis("urgent_unconfirmed")
