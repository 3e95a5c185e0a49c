"""Typo correction towards the training vocabulary, for tokens no dictionary knows.

A token is left alone when it is an English word (the frequency dictionary symspellpy ships:
`frequency_dictionary_en_82_765.txt`, built by SymSpell's author from Google Books Ngram and SCOWL
data, MIT licence like symspellpy; README, "Dependencies") or a training word that is not rare.
Anything else ("botix", "migrane", "injectons") becomes the training word closest to it, when one
is close enough; short tokens are never changed. A rare training word is a typo the training
data repeats ("botx" 4 times, "migranes" 17): it becomes its close neighbour only when that one is
far more common ("botox" 3,588 times), so that it is read as the word people meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

ENGLISH_DICTIONARY = "frequency_dictionary_en_82_765.txt"
MIN_LENGTH = 4  # shorter tokens ("bp", "nhs", "uk") are too often abbreviations
LONG_WORD = 8  # from this length, two edits are allowed
RARE = 20  # a training word seen fewer times than this may be a typo ...
MORE_COMMON = 50  # ... of a neighbour seen at least this many times more often
# Contractions typed without the apostrophe: the nearest training word can mean the opposite
# ("wasnt" is one letter from "want", "shouldnt" two from "should").
CONTRACTIONS = frozenset(
    "dont cant wont isnt arent wasnt werent doesnt didnt hasnt havent hadnt shouldnt couldnt "
    "wouldnt mustnt neednt aint thats whats wats theyre theres whos youre hes shes weve ive "
    "youve theyve ill youll shell itll theyll".split()
)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The words of symspellpy's bundled English frequency dictionary."""
    text = resources.files("symspellpy").joinpath(ENGLISH_DICTIONARY).read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


class SpellingCorrector:
    def __init__(self, counts: Mapping[str, int]) -> None:
        """`counts`: each training word and how often it occurs."""
        from symspellpy import SymSpell

        self.counts = {w: n for w, n in counts.items() if w}
        self.english = english_words()
        self.symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in self.counts.items():
            if word.isalpha() and len(word) >= MIN_LENGTH - 1:
                self.symspell.create_dictionary_entry(word, max(count, 1))

    def correct(self, token: str) -> str | None:
        """The training word to read `token` as, or None to keep it."""
        word = token.lower()
        seen = self.counts.get(word, 0)
        if (
            len(word) < MIN_LENGTH
            or not word.isalpha()
            or word in self.english
            or word in CONTRACTIONS
            or seen >= RARE
        ):
            return None
        from symspellpy import Verbosity

        distance = 2 if len(word) >= LONG_WORD else 1
        # An unknown word may become any training word; a rare one only a far more common one.
        floor = max(RARE, MORE_COMMON * seen) if seen else 0
        suggestions = [
            s
            for s in self.symspell.lookup(word, Verbosity.ALL, max_edit_distance=distance)
            if s.term != word and s.count >= floor
        ]
        if not suggestions:
            return None
        nearest = min(s.distance for s in suggestions)
        # Ties: several training words equally close: no guess.
        best = [s for s in suggestions if s.distance == nearest]
        return str(best[0].term) if len(best) == 1 else None
