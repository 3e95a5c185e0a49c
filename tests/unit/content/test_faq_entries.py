"""The FAQ entries: validation, the database round trip, the composed answer and the choice
between answering, asking "Did you mean" and the out-of-scope reply."""

from __future__ import annotations

import dataclasses

import pytest

from bot.content.answers import compose_entry_answer, faq_payload
from bot.content.fallback import decide, selector_ranking
from bot.content.knowledge import (
    EntryAnswer,
    KnowledgeBase,
    RelatedEntry,
    Source,
    validate,
)
from tests.support import with_entry


def enough(kb: KnowledgeBase) -> dict[str, int]:
    return {f"faq/{entry}": 30 for entry in kb.entry_ids}


def test_the_shipped_entries_are_valid_and_cover_every_topic(kb: KnowledgeBase) -> None:
    assert validate(kb, enough(kb)) == []
    assert len(kb.entries) == 70
    assert {e.topic for e in kb.entries} == set(kb.topic_ids)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"sources": ("nice_ta260", "a_blog")},
            "entry 'does_it_hurt' cites unknown source 'a_blog'",
        ),
        ({"sources": ()}, "entry 'does_it_hurt' has no source"),
        (
            {"related": ("visit_length", "nowhere")},
            "entry 'does_it_hurt' names unknown related entry 'nowhere'",
        ),
        ({"topic": "weather"}, "entry 'does_it_hurt' names unknown topic 'weather'"),
    ],
)
def test_validation_names_a_broken_entry(
    kb: KnowledgeBase, changes: dict[str, object], problem: str
) -> None:
    assert validate(with_entry(kb, "does_it_hurt", **changes), enough(kb)) == [problem]


def test_validation_rejects_duplicates_a_missing_overview_and_missing_examples(
    kb: KnowledgeBase,
) -> None:
    duplicate = dataclasses.replace(kb, entries=(*kb.entries, kb.entries[1]))
    assert f"entry '{kb.entries[1].id}' is defined more than once" in validate(
        duplicate, enough(kb)
    )
    no_overview = dataclasses.replace(
        kb, entries=tuple(e for e in kb.entries if e.id != "cost_overview")
    )
    assert "topic 'cost' has no 'cost_overview' entry" in validate(no_overview, enough(kb))
    counts = {**enough(kb), "faq/does_it_hurt": 3, "faq/teleport": 40}
    assert validate(kb, counts) == [
        "entry 'does_it_hurt' has 3 NLU examples (at least 25)",
        "NLU intent 'faq/teleport' names no FAQ entry",
    ]


ENTRY = EntryAnswer(
    id="does_it_hurt",
    topic="procedure",
    question="Does it hurt?",
    answer="It stings a little.",
    sources=(Source("nice_ta260", "NICE TA260", "https://www.nice.org.uk/guidance/ta260"),),
    related=(RelatedEntry("visit_length", "How long does the visit take?"),),
)


def test_the_reply_is_answer_source_disclaimer_with_related_entry_buttons() -> None:
    reply = compose_entry_answer(ENTRY, "DISCLAIMER.")
    assert reply.text == (
        "It stings a little.\n\n"
        "Source: NICE TA260 (https://www.nice.org.uk/guidance/ta260).\n\nDISCLAIMER."
    )
    assert reply.metadata == {"topic": "procedure", "faq": "does_it_hurt"}
    assert reply.buttons == [
        {"title": "How long does the visit take?", "payload": '/faq{"faq_entry":"visit_length"}'}
    ]
    assert faq_payload("x") == '/faq{"faq_entry":"x"}'


def ranking(*pairs: tuple[str, float]) -> list[dict[str, object]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


KNOWN = {"does_it_hurt", "visit_length", "drive_after"}


def test_a_clear_best_entry_is_answered() -> None:
    decision = decide(ranking(("does_it_hurt", 0.7), ("visit_length", 0.1)), KNOWN)
    assert (decision.kind, decision.entries) == ("answer", ("does_it_hurt",))


def test_two_close_unsure_entries_are_offered() -> None:
    decision = decide(ranking(("does_it_hurt", 0.21), ("visit_length", 0.2)), KNOWN)
    assert (decision.kind, decision.entries) == ("clarify", ("does_it_hurt", "visit_length"))


def test_a_close_second_does_not_stop_a_likely_first_being_answered() -> None:
    decision = decide(ranking(("does_it_hurt", 0.45), ("visit_length", 0.44)), KNOWN)
    assert (decision.kind, decision.entries) == ("answer", ("does_it_hurt",))


def test_a_weak_guess_gets_the_out_of_scope_reply() -> None:
    assert decide(ranking(("does_it_hurt", 0.1), ("visit_length", 0.05)), KNOWN).kind == "none"
    assert decide([], KNOWN).kind == "none"


def test_the_selector_output_is_read_as_entry_ids() -> None:
    parse = {
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {"intent_response_key": "faq/does_it_hurt", "confidence": 0.8},
                "ranking": [
                    {"intent_response_key": "faq/does_it_hurt", "confidence": 0.8},
                    {"intent_response_key": "faq/drive_after", "confidence": 0.1},
                ],
            },
        }
    }
    assert selector_ranking(parse, "faq") == ranking(("does_it_hurt", 0.8), ("drive_after", 0.1))
    assert selector_ranking({}, "faq") == []
