"""The project's spaCy pipeline (bot/nlu/pipeline.py), as the `spacy_pipeline` fixture builds it."""

from __future__ import annotations

from typing import Any


def test_an_ellipsis_ends_a_sentence(spacy_pipeline: Any) -> None:
    doc = spacy_pipeline("a long time ago... i had a reaction\u2026 all fine now.. does it matter?")
    assert [s.text for s in doc.sents] == [
        "a long time ago...",
        "i had a reaction\u2026",
        "all fine now..",
        "does it matter?",
    ]


def test_a_full_stop_still_ends_a_sentence_and_a_decimal_does_not(spacy_pipeline: Any) -> None:
    doc = spacy_pipeline("it went up to 38.5 today. is that a fever?")
    assert [s.text for s in doc.sents] == ["it went up to 38.5 today.", "is that a fever?"]


def test_a_slash_between_spaces_ends_a_sentence_and_one_inside_a_word_does_not(
    spacy_pipeline: Any,
) -> None:
    doc = spacy_pipeline("3 yrs ago i had a reaction / been fine since / and/or 24/7")
    assert [s.text for s in doc.sents] == [
        "3 yrs ago i had a reaction /",
        "been fine since /",
        "and/or 24/7",
    ]
