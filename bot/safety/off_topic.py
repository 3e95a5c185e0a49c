"""Subjects this FAQ does not cover, as lists a reviewer can read and change.

The classifier learns topics from wording, so "side effects of topiramate" or "how long does
Botox for sweating last" look like the side-effects or schedule questions it was trained on, and
it would answer them with facts about Botox for migraine: wrong, and in a health bot misleading.
A message that names one of these subjects, and nothing that ties it back to Botox for migraine,
gets the out-of-scope reply instead of a topic answer. Phrases are matched on lemmas, so
"wrinkle" also finds "wrinkles". Personal-advice and emergency replies are never replaced.

What counts as out of scope follows the issue that defines the bot's safety behaviour: cosmetic
Botox, Botox for other conditions, other headache types, other migraine medicines, devices and
supplements asked about on their own, triggers and diet. Comparisons with Botox and questions
about alternatives in general ("what else is there besides Botox?") stay in scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MIGRAINE = frozenset({"migraine", "migraines", "migrane", "migraine's", "headache", "headaches"})
BOTOX_OR_ALTERNATIVES = frozenset(
    "botox botulinum toxin onabotulinumtoxina injection injections jab jabs alternative "
    "alternatives instead option options versus vs compare compared comparison better other "
    "else besides first tried try failed".split()
)


@dataclass(frozen=True)
class Subject:
    id: str
    description: str
    phrases: tuple[str, ...]
    # Any of these words (or their lemmas) in the message keeps it in scope.
    unless: frozenset[str]
    # FAQ entries whose answer covers the subject ("isn't Botox the wrinkle stuff?").
    answered_by: frozenset[str] = field(default_factory=frozenset)


COSMETIC = (
    "wrinkle", "fine line", "frown line", "forehead line", "crow's foot", "crows foot",
    "crow foot", "laughter line", "smile line", "marionette line", "bunny line",
    "11 line", "eleven line", "lip flip", "lip filler", "filler", "dermal filler",
    "jawline", "jaw slimming", "masseter", "gummy smile", "brow lift", "eyebrow lift",
    "neck band", "nefertiti", "anti-wrinkle", "anti wrinkle", "baby botox",
    "tear trough", "profhilo", "skin booster", "facelift", "face lift",
    "liquid facelift", "microbotox", "aesthetic", "aesthetician", "cosmetic",
)  # fmt: skip
OTHER_BOTOX_USES = (
    "sweat", "sweating", "sweaty", "hyperhidrosis", "bladder", "incontinence",
    "spasticity", "cerebral palsy", "dystonia", "torticollis", "blepharospasm",
    "eye twitch", "eyelid twitch", "squint", "strabismus", "lazy eye",
    "teeth grinding", "grind my teeth", "bruxism", "tmj", "tmd", "jaw clenching",
    "drooling", "anal fissure", "for depression", "gastroparesis", "achalasia",
    "erectile", "vaginismus", "raynaud", "raynauds", "hair loss", "rosacea",
    "oily skin", "tremor",
)  # fmt: skip
OTHER_HEADACHES = (
    "cluster headache", "cluster", "tension headache", "tension-type", "tension type",
    "sinus headache", "sinus", "hangover", "brain freeze", "ice cream headache",
    "cervicogenic", "occipital neuralgia", "trigeminal neuralgia", "neuralgia",
    "hypnic", "exertional", "sex headache", "post-concussion", "post concussion",
    "post-traumatic headache", "caffeine withdrawal", "ice pick", "hemicrania",
    "sunct",
)  # fmt: skip
OTHER_MIGRAINE_TREATMENTS = (
    "triptan", "sumatriptan", "rizatriptan", "zolmitriptan", "naratriptan",
    "eletriptan", "almotriptan", "frovatriptan", "imitrex", "maxalt", "relpax",
    "gepant", "rimegepant", "ubrogepant", "atogepant", "zavegepant", "nurtec",
    "ubrelvy", "qulipta", "vydura", "erenumab", "fremanezumab", "galcanezumab",
    "eptinezumab", "aimovig", "ajovy", "emgality", "vyepti", "lasmiditan",
    "topiramate", "topamax", "propranolol", "amitriptyline", "nortriptyline",
    "candesartan", "flunarizine", "pizotifen", "valproate", "magnesium",
    "riboflavin", "vitamin b2", "coq10", "coenzyme q10", "feverfew", "butterbur",
    "melatonin", "cefaly", "nerivio", "gammacore", "tens machine", "keto",
    "ketogenic", "yoga", "acupuncture",
)  # fmt: skip
TRIGGERS_AND_DIET = (
    "trigger", "chocolate", "cheese", "red wine", "caffeine", "coffee", "msg",
    "aspartame", "weather", "barometric", "screen time", "blue light", "dehydration",
    "menstrual", "diet", "food", "skip meal", "skipping meal",
)  # fmt: skip

SUBJECTS: tuple[Subject, ...] = (
    Subject(
        "cosmetic",
        "Cosmetic Botox, fillers and other aesthetic treatments",
        COSMETIC,
        # "Are the risks different from the cosmetic version?" compares it with Botox for migraine.
        MIGRAINE | frozenset("same different difference compare compared versus vs".split()),
        # the entries of the topic what_is_botox
        answered_by=frozenset(
            "what_is_botox_overview what_is_in_botox same_as_cosmetic when_approved "
            "units_not_interchangeable".split()
        ),
    ),
    Subject(
        "other_botox_uses",
        "Botox for conditions other than migraine",
        OTHER_BOTOX_USES,
        MIGRAINE,
    ),
    Subject(
        "other_headaches",
        "Headache types other than migraine",
        OTHER_HEADACHES,
        frozenset({"migraine", "migraines", "migrane"}),
    ),
    Subject(
        "other_migraine_treatments",
        "Other migraine medicines, devices and supplements asked about on their own",
        OTHER_MIGRAINE_TREATMENTS,
        # Aftercare ("can I do yoga that evening?") and medication overuse stay in scope.
        BOTOX_OR_ALTERNATIVES
        | frozenset("after afterwards evening beforehand overuse overusing count".split()),
    ),
    Subject(
        "triggers_and_diet",
        "Migraine triggers, food and diet",
        TRIGGERS_AND_DIET,
        frozenset(
            "botox botulinum toxin injection injections jab jabs inject injected needle "
            "treatment appointment session after botulism poisoning bacteria".split()
        ),
    ),
)


class OffTopicDetector:
    """Finds off-topic subjects in a message, with the project's spaCy pipeline (lemmas)."""

    def __init__(self, nlp: Any) -> None:
        from spacy.matcher import PhraseMatcher

        self.nlp = nlp
        self.matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.subjects = {subject.id: subject for subject in SUBJECTS}
        for subject in SUBJECTS:
            self.matcher.add(subject.id, list(nlp.pipe(p.lower() for p in subject.phrases)))

    def subjects_in(self, text: str, topic: str | None = None) -> tuple[str, ...]:
        """The ids of the off-topic subjects the message is about, when the classifier's topic
        for it is `topic` (empty: in scope)."""
        doc = self.nlp(text.lower())
        words = {token.lemma_ for token in doc} | {token.lower_ for token in doc}
        found = {self.subjects[self.nlp.vocab.strings[m]] for m, _, _ in self.matcher(doc)}
        return tuple(
            sorted(s.id for s in found if not s.unless & words and topic not in s.answered_by)
        )
