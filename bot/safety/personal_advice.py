"""Requests for a personal medical decision, as a phrase list a clinician can review.

The classifier refuses most personal-advice requests, but a request that borrows an FAQ's wording
("is it ok for me to fly the day after my injections?") can look like the aftercare question.
These phrases ask the bot to decide for the person or to diagnose them, which it must never do,
so a message with one of them always gets the kind refusal that points to their doctor. None of
them occurs in any other intent's training or held-out messages, nor anywhere in CLINC150
(tests/test_personal_advice.py checks it).
"""

from __future__ import annotations

from typing import Any

ABOUT_ME = (
    "ok for me", "okay for me", "safe for me", "alright for me", "fine for me",
    "right for me", "suitable for me", "a good idea for me", "wise for me", "risky for me",
    "dangerous for me", "bad for me", "for someone like me", "for somebody like me",
    "for a person like me", "for people like me", "in my case", "in my situation",
)  # fmt: skip
ASKS_FOR_A_DECISION = (
    "would you recommend botox", "would you recommend it", "would you advise",
    "what would you do", "if you were me", "if i were you", "in my shoes", "your advice",
    "how many units should i", "what dose should i", "how much botox should i",
)  # fmt: skip
CHANGES_MY_MEDICINES = (
    "stop taking my", "come off my", "cut down on my", "change my dose", "up my dose",
    "lower my dose",
)  # fmt: skip
# "<verb> my <something>", except what Botox is meant to change ("how does it stop my migraines").
CHANGE_VERBS = ("stop", "double", "increase", "reduce", "cut", "switch", "skip", "halve")
NOT_A_MEDICINE = (
    "migraine", "migraines", "headache", "headaches", "pain", "attacks", "symptoms", "days",
)  # fmt: skip
ASKS_FOR_A_DIAGNOSIS = (
    "do i have chronic", "do i have migraine", "do i have a migraine", "have i got chronic",
    "have i got migraine", "do i have medication overuse", "what type of headache do i have",
    "what kind of headache do i have", "what type of headache have i got",
    "what kind of headache have i got", "is my headache", "are my headaches",
    "is this a migraine", "is it a tumour", "is it a brain tumour", "could it be a tumour",
    "what's causing my headache", "what is causing my headache", "what's wrong with me",
    "diagnose me", "diagnose my",
)  # fmt: skip
PREGNANCY_NOW = (
    "i'm pregnant", "im pregnant", "i am pregnant", "i'm breastfeeding", "im breastfeeding",
    "i am breastfeeding", "i'm nursing", "i am nursing", "i'm trying for a baby",
    "we're trying for a baby", "i'm trying to get pregnant", "we are trying for a baby",
    "i'm trying to conceive",
)  # fmt: skip
# "Is it safe for me to visit Malawi?" is not about treatment: phrases other than pregnancy
# count only in a message that also mentions one of these.
HEALTH_WORDS = frozenset(
    "botox injection inject jab shot treatment dose unit round session appointment medicine "
    "medication tablet pill drug migraine headache neurologist neuro doctor gp condition "
    "surgery operation vaccine".split()
)
PHRASES: dict[str, tuple[str, ...]] = {
    "about_me": ABOUT_ME,
    "asks_for_a_decision": ASKS_FOR_A_DECISION,
    "asks_for_a_diagnosis": ASKS_FOR_A_DIAGNOSIS,
    "changes_my_medicines": CHANGES_MY_MEDICINES,
    "pregnancy_now": PREGNANCY_NOW,
}


class PersonalAdviceDetector:
    """Finds the phrases above in a message (lower-cased, tokenised by the project's pipeline)."""

    def __init__(self, nlp: Any) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.nlp = nlp
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for kind, phrases in PHRASES.items():
            self.matcher.add(kind, list(nlp.pipe(phrases)))
        self.patterns = Matcher(nlp.vocab)
        self.patterns.add(
            "changes_my_medicines",
            [
                [
                    {"LOWER": {"IN": list(CHANGE_VERBS)}},
                    {"LOWER": "my"},
                    {"LOWER": {"NOT_IN": list(NOT_A_MEDICINE)}},
                ]
            ],
        )

    def kinds_in(self, text: str) -> tuple[str, ...]:
        """The kinds of phrase found ("about_me", ...); empty when none is."""
        doc = self.nlp(text.lower())
        matches = [*self.matcher(doc), *self.patterns(doc)]
        kinds = {self.nlp.vocab.strings[m] for m, _, _ in matches}
        if not {token.lemma_ for token in doc} & HEALTH_WORDS:
            kinds &= {"pregnancy_now"}
        return tuple(sorted(kinds))
