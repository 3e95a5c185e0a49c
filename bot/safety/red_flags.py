"""Emergency red flags, as a list a clinician can review.

Source of the list: our clinical facts, "Red flags" (NHS Headaches / NHS inform, the SNOOP4
list in CMAJ 2023, and the FDA boxed warning for BOTOX). Each flag is a set of phrases, matched on
lemmas (so "drooping", "droops" and "drooped" are one phrase), plus a few token patterns where the
words can come in any order. A flag found in a sentence that is a general question ("can Botox
cause trouble swallowing?") with nothing saying it is happening to someone now is not an alarm:
such questions get the side-effects answer instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any

CANNOT = (
    "can't", "cant", "cannot", "can not", "couldn't", "unable to", "struggling to",
    "struggle to", "hard to", "trouble", "difficulty", "problems", "can barely", "can hardly",
)  # fmt: skip


def unable_to(*verbs: str) -> tuple[str, ...]:
    """'can't swallow', 'trouble swallowing', 'struggling to breathe', ... for each verb."""
    forms = []
    for verb in verbs:
        forms += [f"{c} {verb}" for c in CANNOT]
    return tuple(forms)


def combine(firsts: tuple[str, ...], seconds: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{a} {b}" for a, b in product(firsts, seconds))


@dataclass(frozen=True)
class RedFlag:
    id: str
    description: str
    phrases: tuple[str, ...] = ()
    # Token patterns (spaCy Matcher) for word orders that phrases cannot list.
    patterns: tuple[tuple[dict[str, Any], ...], ...] = ()
    # When set, the flag counts only if one of these lemmas is also in the message.
    only_with: frozenset[str] = field(default_factory=frozenset)


def _any(*words: str) -> dict[str, Any]:
    return {"LOWER": {"IN": list(words)}}


def _lemma(*words: str) -> dict[str, Any]:
    return {"LEMMA": {"IN": list(words)}}


ANY_TOKEN: dict[str, Any] = {"OP": "?"}
PEOPLE = ("my", "his", "her", "their", "the")

RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "thunderclap_headache",
        "Sudden, extremely painful headache: thunderclap, the worst ever, peaks within a minute.",
        phrases=(
            "worst headache",
            "worst hedache",
            "worst headach",
            "worst migraine",
            "worst pain",
            "worst head pain",
            "thunderclap",
            "thunder clap",
            "head exploded",
            "head explode",
            "head exploding",
            "head feels like it exploded",
            "like a bolt of lightning",
            "sudden severe headache",
            "sudden extremely painful headache",
            "sudden agonising",
            "sudden agonizing",
            "came on in seconds",
            "came on instantly",
            "came on suddenly",
            "headache suddenly came on",
            "like being hit on the head",
        ),
    ),
    RedFlag(
        "stroke_signs",
        "Slurred speech or trouble speaking, a drooping face, weakness or numbness of an arm or "
        "leg (stroke signs).",
        phrases=(
            "slurred",
            "slurring",
            "slur my words",
            "slurred speech",
            "slurred speach",
            "face is drooping",
            "face drooping",
            "drooping face",
            "face droop",
            "face has dropped",
            "face looks lopsided",
            "face is lopsided",
            "face feels numb",
            "face went numb",
            "speech is weird",
            "speech is strange",
            "speech is garbled",
            "words are jumbled",
            "can't get my words out",
            "gone numb",
            "went numb",
            "is numb",
            "side is numb",
            "numb on one side",
            "arm is weak",
            "arm feels weak",
            "leg is weak",
            "arm and leg feel weak",
            "leg feel weak",
            "one side is weak",
            *unable_to("speak", "talk", "speak properly", "talk properly"),
            *combine(("can't", "cant", "cannot", "unable to"), ("lift", "move", "feel")),
        ),
    ),
    RedFlag(
        "vision_loss",
        "Loss of vision or double vision.",
        phrases=(
            "lost the vision",
            "lost my vision",
            "lost vision",
            "lose my vision",
            "vision went black",
            "vision suddenly went",
            "vision has gone",
            "gone blind",
            "went blind",
            "seeing double",
            "double vision",
            "suddenly can't see",
            "suddnly cant see",
            "can't see out of",
            "cant see out of",
            "cannot see out of",
            "can't see properly",
            "cant see properly",
        ),
    ),
    RedFlag(
        "confusion_drowsiness_fainting",
        "Drowsiness or confusion, fainting, collapse, loss of consciousness.",
        phrases=(
            "confused and",
            "suddenly confused",
            "now confused",
            "very confused",
            "so confused",
            "really confused and",
            "disoriented",
            "disorientated",
            "drowsy",
            "hard to wake",
            "can't wake",
            "cant wake",
            "passed out",
            "fainted",
            "fainting",
            "collapsed",
            "collapse",
            "lost consciousness",
            "unconscious",
            "blacked out",
            "keeps blacking out",
        ),
        patterns=(
            (
                _any("now", "suddenly", "really", "very"),
                _any("he", "she", "they", "i"),
                _lemma("be", "'s", "seem", "look"),
                ANY_TOKEN,
                _any("confused"),
            ),
        ),
    ),
    RedFlag(
        "fever_stiff_neck",
        "Headache with a very high temperature and a stiff neck.",
        phrases=(
            "stiff neck",
            "neck is stiff",
            "neck is so stiff",
            "neck is really stiff",
            "neck is very stiff",
            "neck stiff",
            "can't bend my neck",
            "cant bend my neck",
        ),
        only_with=frozenset({"fever", "temperature", "temp", "feverish", "hot", "rash"}),
    ),
    RedFlag(
        "non_blanching_rash",
        "A rash that does not fade under a glass.",
        phrases=(
            "rash that doesn't fade",
            "rash that doesnt fade",
            "rash that does not fade",
            "rash that won't fade",
            "rash that wont fade",
            "rash that will not fade",
            "rash doesn't fade",
            "rash doesnt fade",
            "rash won't fade",
            "rash wont fade",
            "don't fade when i press a glass",
            "dont fade when i press a glass",
            "doesn't fade under a glass",
            "doesnt fade under a glass",
            "purple rash",
        ),
    ),
    RedFlag(
        "head_injury",
        "Headache after a head injury.",
        phrases=("head injury", "head injuries", "hurt my head", "car accident", "car crash"),
        patterns=(
            (
                _lemma("hit", "bang", "bump", "knock", "smack", "whack", "hitting"),
                _any(*PEOPLE, "our", "your", "a"),
                _any("head"),
            ),
        ),
    ),
    RedFlag(
        "red_eye_or_seizure",
        "Headache with a red eye, or with a seizure.",
        phrases=(
            "red eye",
            "eye is red",
            "red painful eye",
            "red and painful eye",
            "seizure",
            "seizures",
            "had a fit",
            "having a fit",
            "just had a fit",
            "convulsion",
            "convulsing",
            "fitting",
        ),
    ),
    RedFlag(
        "swallowing_speaking_breathing",
        "After Botox: trouble swallowing, speaking or breathing (FDA boxed warning: can be "
        "life-threatening).",
        phrases=(
            *unable_to("swallow", "swallowing", "breathe", "breath", "breathing"),
            "choking",
            "choke on",
            "food wont go down",
            "food won't go down",
            "throat is closing",
            "throat closing",
            "throat feels like it's closing",
            "short of breath",
            "shortness of breath",
            "catch my breath",
            "chest feels tight",
            "gasping for air",
            "breathing is difficult",
            "breathing difficulty",
        ),
    ),
    RedFlag(
        "spreading_weakness",
        "After Botox: muscle weakness that spreads.",
        phrases=(
            "weakness is spreading",
            "weakness spreading",
            "weakness has spread",
            "getting weaker",
            "weaker all over",
            "weak all over",
            "legs are giving way",
            "legs giving way",
            "too weak to hold my head",
            "can't hold my head up",
            "cant hold my head up",
        ),
    ),
    RedFlag(
        "allergic_reaction",
        "After Botox: signs of a serious allergic reaction (swelling of the face, lips or throat, "
        "wheezing).",
        phrases=(
            "wheezing",
            "wheeze",
            "wheezy",
            "anaphylaxis",
            "anaphylactic",
            "swollen tongue",
            "tongue is swollen",
            "tongue is swelling",
        ),
        patterns=(
            (
                _lemma("swell", "swelling", "swollen"),
                {"OP": "{0,3}"},
                _any("face", "lips", "lip", "throat", "tongue", "mouth"),
            ),
            (
                _any("face", "lips", "lip", "throat", "tongue", "mouth"),
                {"OP": "{0,3}"},
                _lemma("swell", "swelling", "swollen"),
            ),
        ),
    ),
)

# A sentence is about someone's situation now when it has one of these words.
PERSONAL_OR_NOW = frozenset(
    "i i'm im me my myself mine we us our he she him his her they them their wife husband hubby "
    "partner son daughter child kid baby mum mom mother dad father brother sister friend "
    "now suddenly today tonight currently just since yesterday ago morning still started help "
    "pls please".split()
)
QUESTION_STARTS = frozenset(
    "can could does do is are will would what which how why when should may might".split()
)


@dataclass(frozen=True)
class Detection:
    flags: tuple[str, ...]
    general_questions: tuple[str, ...]  # flags found only in general questions (no alarm)

    @property
    def is_emergency(self) -> bool:
        return bool(self.flags)


def _is_general_question(sentence: Any) -> bool:
    words = [token.lower_ for token in sentence if not token.is_punct]
    if not words or words[0] not in QUESTION_STARTS:
        return False
    return not any(word in PERSONAL_OR_NOW for word in words)


class RedFlagDetector:
    """Finds red flags in a spaCy Doc made by the project's pipeline (lemmas + sentences)."""

    def __init__(self, nlp: Any) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.nlp = nlp
        self.phrases = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.patterns = Matcher(nlp.vocab)
        self.flags = {flag.id: flag for flag in RED_FLAGS}
        for flag in RED_FLAGS:
            if flag.phrases:
                self.phrases.add(flag.id, list(nlp.pipe(p.lower() for p in flag.phrases)))
            if flag.patterns:
                self.patterns.add(flag.id, [list(p) for p in flag.patterns])

    def detect(self, text: str) -> Detection:
        doc = self.nlp(text.lower())
        lemmas = {token.lemma_ for token in doc} | {token.lower_ for token in doc}
        found: dict[str, bool] = {}  # flag id -> seen outside a general question
        for match_id, start, _ in [*self.phrases(doc), *self.patterns(doc)]:
            flag = self.flags[self.nlp.vocab.strings[match_id]]
            if flag.only_with and not flag.only_with & lemmas:
                continue
            general = _is_general_question(doc[start].sent)
            found[flag.id] = found.get(flag.id, False) or not general
        return Detection(
            flags=tuple(sorted(f for f, alarm in found.items() if alarm)),
            general_questions=tuple(sorted(f for f, alarm in found.items() if not alarm)),
        )
