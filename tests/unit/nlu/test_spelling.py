"""Typo correction towards the training words (bot/nlu/spelling.py), without Rasa."""

from __future__ import annotations

from bot.nlu.spelling import SpellingCorrector

COUNTS = {
    "botox": 3588,
    "botx": 4,
    "migraines": 2000,
    "migrane": 3,
    "want": 400,
    "wasnt": 2,
    "appointment": 300,
    "apointment": 3,
    "hello": 90,
    "help": 500,
    "nurtec": 9,
}


def test_an_unknown_word_becomes_the_nearest_training_word() -> None:
    corrector = SpellingCorrector(COUNTS)
    assert corrector.correct("bottox") == "botox"
    assert corrector.correct("appointmnt") == "appointment"


def test_a_rare_training_word_becomes_a_far_more_common_neighbour() -> None:
    corrector = SpellingCorrector(COUNTS)
    assert corrector.correct("botx") == "botox"
    assert corrector.correct("apointment") == "appointment"


def test_kept_a_common_word_an_english_word_a_rare_name_a_contraction_or_a_tie() -> None:
    corrector = SpellingCorrector({**COUNTS, "botz": 40})
    assert corrector.correct("botox") is None
    assert corrector.correct("want") is None  # English
    assert corrector.correct("nurtec") is None  # rare, but no common neighbour
    assert corrector.correct("wasnt") is None  # "want" would turn it round
    assert corrector.correct("helo") is None  # hello or help: no guess
