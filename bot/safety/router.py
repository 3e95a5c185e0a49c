"""The one safety step: what the bot does with a message, in an explicit order.

1. an emergency rule (data/safety/red_flags.yml)        -> intent `emergency`, the emergency reply
   (then the crisis reply when a crisis rule fired too, or the second net calls it a crisis)
2. a crisis rule (data/safety/crisis.yml)               -> intent `emergency` (the urgent route),
   decision `crisis`: the crisis reply
3. the second net (bot/safety/net.py) scores the message at or above its threshold
   -> intent `emergency`, decision `urgent_unconfirmed`: the short urgent-help reply, marked
   for review; or decision `crisis` (the crisis reply) when its second model calls it a crisis.
   In a long message that nothing above fired on, it also scores, one by one, the sentences
   that name a sign and that the rules' checks let through (not long ago, not a habit, a
   supposition, a reading or a question about no one now: CompiledRules.sentences_told_as_now),
   with its own, higher threshold: an emergency buried in a post about parking and insurance.
   A shorter message that names such a sign, other than the general ones every migraine
   description uses (head, headache, worst, ...), is judged at a lower threshold; a message
   that tells no sign as now needs a higher one, unless the net calls it a crisis.
   It stays silent when the message says nothing is happening (the emergency file's
   `not_happening_phrases`: "not happening, just being organised"), as a question there does,
   unless it calls the message a crisis ("my appointment isn't until March" denies no wish to die).
   It comes before the refusal and off-topic rules: a message that names a medicine
   ("I took all my rizatriptan") or asks for a decision ("should I just go to sleep?") can
   still describe an emergency happening now, and urgent help must win over a refusal.
4. a personal-advice rule (data/safety/personal_advice.yml) -> `personal_advice`, the refusal
5. an off-topic rule (data/safety/off_topic.yml)        -> `out_of_scope`, unless the classifier
   already chose a refusal, a crisis or an emergency
6. the classifier's intent. An `emergency` or `crisis` intent that no rule and not the net confirms
   becomes `personal_advice` (the refusal, which says when and whom to call): for people with
   chronic migraine, everyday descriptions ("my head throbs every evening") must not alarm.
   The classifier's `personal_advice` gives way to the FAQ entry the selector chose when that
   entry is one of the personal-advice file's `practical_entries`, chosen with enough confidence,
   and the message asks something but no decision ("can I drive home after my injections?" gets
   drive_after; "should I drive?" and a description that asks nothing keep the refusal), or
   one of its `decision_entries`, which answer a request for a decision in general terms
   ("should I get botox for my migraines?" gets is_botox_right_for_me), or any entry chosen with
   the file's `general_question_min_confidence` when the message asks only in general: personal
   context, then questions with no first-person word ("My husband has cluster headaches ...
   Does Botox help with other kinds of headache?"): decision `practical_entry`.
   The classifier's `out_of_scope`, or its unsure `nlu_fallback`, gives way to the entry the
   selector chose when the message names the treatment or a medicine the FAQ covers (the
   off-topic file's `named_terms`) and the selector is sure enough (`named_entry_min_confidence`):
   "BOTOX® for Cluster and Tension-Type Headache" gets other_headache_types. Decision
   `named_entry`. An off-topic rule that fired (step 5) still wins: cosmetic Botox stays out.

Anything else (FAQ topics, chit-chat) passes through step 6 unchanged: the router does not know
the FAQ's intent names.
Plain functions, no Rasa: bot/nlu/components.py's SafetyRouter only calls `SafetyCheck.decide`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional

from bot.safety.net import NetVerdict
from bot.safety.rules import CompiledRules, Match, fired, normalised_with_origins

EMERGENCY = "emergency"
CRISIS = "crisis"
PERSONAL_ADVICE = "personal_advice"
OUT_OF_SCOPE = "out_of_scope"
URGENT_UNCONFIRMED = "urgent_unconfirmed"
PRACTICAL_ENTRY = "practical_entry"
NAMED_ENTRY = "named_entry"
NLU_FALLBACK = "nlu_fallback"
ORDER = (
    "emergency rule",
    "crisis rule",
    "second net",
    "personal-advice rule",
    "off-topic rule",
    "classifier",
)


@dataclass(frozen=True)
class Decision:
    intent: str  # the intent the bot acts on
    decision: (
        str  # emergency, crisis, personal_advice, out_of_scope, urgent_unconfirmed, classifier
    )
    by: str  # rule, net, classifier, classifier_unconfirmed
    rule: Optional[str] = None  # noqa: UP007
    category: Optional[str] = None  # noqa: UP007
    phrase: Optional[str] = None  # noqa: UP007
    score: Optional[float] = None  # noqa: UP007
    sentence: Optional[str] = None  # noqa: UP007  # the sentence the net fired on, alone
    also: tuple[str, ...] = field(default_factory=tuple)  # other rules that fired (lower in order)
    # An emergency rule won, and a crisis rule fired too: the crisis reply follows the emergency
    # reply ("a note saying she's sorry ... locked in the bathroom and won't answer me").
    crisis_too: bool = False

    def as_output(self) -> dict[str, Any]:
        out: dict[str, Any] = {"decision": self.decision, "by": self.by}
        for key in ("rule", "category", "phrase", "sentence"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.score is not None:
            out["score"] = round(self.score, 4)
        if self.also:
            out["also"] = list(self.also)
        if self.crisis_too:
            out["crisis_too"] = True
        return out

    @property
    def overrides(self) -> bool:
        return self.by != "classifier"


def route(
    matches: list[Match],
    classifier_intent: str | None,
    net: NetVerdict | None = None,
    not_happening: bool = False,
    entry: str | None = None,
) -> Decision:
    """The decision for a message, from its rule matches (fired or not), the classifier's intent,
    the second net's verdict (None: no net), whether the message says nothing is happening, and
    the FAQ entry (`faq/<id>`) that answers it instead of the classifier's refusal, out-of-scope
    or fallback reply, if any (SafetyCheck.decide)."""
    first = fired(matches)
    also = tuple(m.rule_id for m in first.values())
    net_says_crisis = net is not None and net.fires and net.kind == CRISIS

    def by_rule(decision: str) -> Decision | None:
        match = first.get(decision)
        if match is None:
            return None
        if decision == OUT_OF_SCOPE and classifier_intent in (PERSONAL_ADVICE, EMERGENCY, CRISIS):
            return None
        return Decision(
            # Crisis takes the urgent route too; no `crisis` intent, so the classifier's
            # training data (and so its FAQ answers) stay as they were.
            intent=EMERGENCY if decision == CRISIS else decision,
            decision=decision,
            by="rule",
            rule=match.rule_id,
            category=match.category,
            phrase=match.phrase,
            also=tuple(r for r in also if r != match.rule_id),
            crisis_too=decision == EMERGENCY and (CRISIS in first or net_says_crisis),
        )

    for decision in (EMERGENCY, CRISIS):
        if (found := by_rule(decision)) is not None:
            return found
    net_score = None if net is None else net.score
    if net is not None and net.fires and not not_happening:
        decided = CRISIS if net.kind == CRISIS else URGENT_UNCONFIRMED
        return Decision(
            EMERGENCY, decided, "net", score=net_score, also=also, sentence=net.sentence
        )
    for decision in (PERSONAL_ADVICE, OUT_OF_SCOPE):
        if (found := by_rule(decision)) is not None:
            return found
    if classifier_intent in (EMERGENCY, CRISIS):
        return Decision(PERSONAL_ADVICE, PERSONAL_ADVICE, "classifier_unconfirmed", score=net_score)
    if entry and classifier_intent in (PERSONAL_ADVICE, OUT_OF_SCOPE, NLU_FALLBACK):
        decided = PRACTICAL_ENTRY if classifier_intent == PERSONAL_ADVICE else NAMED_ENTRY
        return Decision(entry.split("/", 1)[0], decided, decided, score=net_score)
    return Decision(classifier_intent or "", "classifier", "classifier", score=net_score)


class SafetyCheck:
    """The compiled rules and the second net, applied to one parse of the message."""

    def __init__(self, rules: CompiledRules, net: Any | None = None) -> None:
        self.rules = rules
        self.net = net

    def decide(
        self,
        text: str,
        classifier_intent: str | None,
        doc: Any | None = None,
        answer_key: str | None = None,
        entry_choice: tuple[str, float] | None = None,
    ) -> tuple[Decision, list[Match]]:
        """`doc`: the project pipeline's parse of text.lower() (Rasa's SpacyNLP makes it);
        parsed here when not given or when the rules read the text otherwise (dictated
        punctuation, emoji, dialect spellings: CompiledRules.normalised). `answer_key`: what
        would answer the message, e.g. `faq/<entry>`, which off-topic rules compare with the
        entries that cover their subject.
        `entry_choice`: the entry selector's best entry and its confidence, whatever the intent."""
        normal = self.rules.normalised(text)
        if doc is None or doc.text != normal:
            doc = self.rules.nlp(normal)
        matches = self.rules.check(doc, answer_key or classifier_intent)
        entry = None
        # Only the classifier's refusal gives way to a practical entry, and only its out-of-scope
        # or unsure reply to an entry the message names the subject of: check nothing else.
        if entry_choice and (
            (
                classifier_intent == PERSONAL_ADVICE
                and self.rules.answers_practically(doc, *entry_choice)
            )
            or (
                classifier_intent in (OUT_OF_SCOPE, NLU_FALLBACK)
                and self.rules.answers_by_name(doc, entry_choice[1])
            )
        ):
            entry = entry_choice[0]
        if self.net is None:
            return route(matches, classifier_intent, entry=entry), matches
        verdict = self.net.verdict(text)
        if not any(m.fired and m.decision in (EMERGENCY, CRISIS) for m in matches):
            verdict = self._weigh_signs(self.net, text, doc, verdict)
        # "Nothing is happening" denies a symptom, not a wish to die: a crisis is never quieted.
        quiet = verdict.fires and verdict.kind != CRISIS and self.rules.says_not_happening(doc)
        return route(matches, classifier_intent, verdict, quiet, entry), matches

    def _weigh_signs(self, net: Any, text: str, doc: Any, verdict: NetVerdict) -> NetVerdict:
        """The net's verdict on a message no urgent rule fired on, weighed by the signs it tells
        as now (CompiledRules.sentences_told_as_now): an emergency that names none needs
        `no_sign_threshold` (a hypothetical, a general question, "my laptop had a seizure") and
        does not fire when it tells its signs as the person's usual migraines;
        a long message is also scored sentence by sentence; a shorter one that names a specific
        sign needs only `sign_threshold`. A crisis names no sign and is never held back."""
        if verdict.fires:
            if verdict.kind == CRISIS or self.rules.sentences_told_as_now(doc):
                return verdict
            # Signs told only as the person's usual migraines: how it always is, not an emergency.
            if verdict.score >= net.no_sign_threshold and not self.rules.tells_usual_migraine(doc):
                return verdict
            return replace(verdict, fires=False)
        if len(text) >= net.sentence_min_chars:
            spans = self.rules.sentences_told_as_now(doc)
            return net.sentence_verdict(_as_typed(text, spans)) or verdict
        if verdict.score >= net.sign_threshold and self.rules.sentences_told_as_now(
            doc, specific=True
        ):
            return replace(verdict, fires=True, kind=net.kind(text))
        return verdict


def _as_typed(text: str, spans: list[Any]) -> list[str]:
    """The sentences `spans` of the normalised parse as the person typed them: the tracker
    keeps one, and its redaction (bot/stores/redact.py) knows some identifiers only in their own
    case (a postcode)."""
    if not spans:
        return []
    origins = normalised_with_origins(text)[1]
    return [text[origins[s.start_char] : origins[s.end_char]] for s in spans]
