"""Typo correction towards the training vocabulary, for tokens no dictionary knows.

A token is left alone when it is in the training vocabulary or is an English word: the
frequency dictionary symspellpy ships (`frequency_dictionary_en_82_765.txt`, built by SymSpell's
author from Google Books Ngram and SCOWL data, MIT licence like symspellpy; README,
"Dependencies"). Anything else ("botix", "migrane", "injectons") becomes the training word
closest to it, when one is close enough; short tokens are never changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

ENGLISH_DICTIONARY = "frequency_dictionary_en_82_765.txt"
MIN_LENGTH = 4  # shorter tokens ("bp", "nhs", "uk") are too often abbreviations
LONG_WORD = 8  # from this length, two edits are allowed


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The words of symspellpy's bundled English frequency dictionary."""
    text = resources.files("symspellpy").joinpath(ENGLISH_DICTIONARY).read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


class SpellingCorrector:
    def __init__(self, vocabulary: Iterable[str]) -> None:
        from symspellpy import SymSpell

        self.vocabulary = frozenset(w for w in vocabulary if w)
        self.english = english_words()
        self.symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word in self.vocabulary:
            if word.isalpha() and len(word) >= MIN_LENGTH - 1:
                self.symspell.create_dictionary_entry(word, 1)

    def correct(self, token: str) -> str | None:
        """The training word to read `token` as, or None to keep it."""
        word = token.lower()
        if (
            len(word) < MIN_LENGTH
            or not word.isalpha()
            or word in self.vocabulary
            or word in self.english
        ):
            return None
        from symspellpy import Verbosity

        distance = 2 if len(word) >= LONG_WORD else 1
        suggestions = self.symspell.lookup(word, Verbosity.CLOSEST, max_edit_distance=distance)
        if not suggestions:
            return None
        # Ties: several training words equally close: no guess.
        best = [s for s in suggestions if s.distance == suggestions[0].distance]
        return str(best[0].term) if len(best) == 1 else None
