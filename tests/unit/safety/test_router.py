"""The router's order, without Rasa: rules from data/safety, a stand-in second net."""

from __future__ import annotations

from typing import Any

import pytest

from bot.safety.net import NetVerdict, SafetyNet
from bot.safety.router import SafetyCheck, route
from bot.safety.rules import CompiledRules, Match


class FakeNet:
    """A net that says the same of every message."""

    def __init__(self, score: float) -> None:
        self._score = score

    def verdict(self, text: str) -> NetVerdict:
        return verdict(self._score)

    sentence_min_chars = 200
    sign_threshold = 1.0
    no_sign_threshold = 0.0

    def sentence_verdict(self, sentences: list[str]) -> NetVerdict | None:
        return None


def verdict(score: float, kind: str = "emergency", threshold: float = 0.5) -> NetVerdict:
    return NetVerdict(score >= threshold, kind, score)


def match(decision: str, rule: str, fired: bool = True) -> Match:
    return Match(decision, rule, "cat", "phrase", "text", fired, "fired" if fired else "blocked")


@pytest.mark.parametrize(
    ("matches", "net_score", "expected"),
    [
        (
            [match("out_of_scope", "o"), match("crisis", "c"), match("emergency", "e")],
            0.9,
            "emergency",
        ),
        (
            [match("out_of_scope", "o"), match("personal_advice", "p"), match("crisis", "c")],
            0.9,
            "crisis",
        ),
        ([match("out_of_scope", "o"), match("personal_advice", "p")], 0.9, "urgent_unconfirmed"),
        ([match("out_of_scope", "o")], 0.9, "urgent_unconfirmed"),
        ([match("emergency", "e", fired=False)], 0.9, "urgent_unconfirmed"),
        ([match("out_of_scope", "o"), match("personal_advice", "p")], 0.1, "personal_advice"),
        ([match("out_of_scope", "o")], 0.1, "out_of_scope"),
        ([], 0.1, "classifier"),
    ],
)
def test_the_order_is_emergency_crisis_net_advice_off_topic_classifier(
    matches: list[Match], net_score: float, expected: str
) -> None:
    decision = route(matches, "cost", net=verdict(net_score))
    assert decision.decision == expected


def test_a_net_alarm_beats_a_refusal_and_names_the_rules_it_overrode() -> None:
    """ "I took all my rizatriptan ... should I just go to sleep?" names a medicine (off-topic)
    and asks for a decision (refusal): urgent help must still win."""
    decision = route(
        [match("personal_advice", "p"), match("out_of_scope", "o")],
        "personal_advice",
        net=verdict(0.8),
    )
    assert (decision.intent, decision.decision, decision.also) == (
        "emergency",
        "urgent_unconfirmed",
        ("p", "o"),
    )


def test_what_fired_is_in_the_output() -> None:
    decision = route([match("emergency", "e"), match("crisis", "c")], "cost")
    assert decision.as_output() == {
        "decision": "emergency",
        "by": "rule",
        "rule": "e",
        "category": "cat",
        "phrase": "phrase",
        "also": ["c"],
        "crisis_too": True,
    }


def test_an_emergency_is_a_crisis_too_only_when_a_crisis_rule_or_the_net_says_so() -> None:
    assert not route([match("emergency", "e")], "cost").crisis_too
    assert route([match("emergency", "e")], "cost", net=verdict(0.8, "crisis")).crisis_too
    assert not route([match("emergency", "e")], "cost", net=verdict(0.8)).crisis_too
    assert not route([match("crisis", "c")], "cost").crisis_too


def test_the_net_below_its_threshold_leaves_the_classifier() -> None:
    decision = route([], "faq/what_is_botox", net=verdict(0.2))
    assert (decision.intent, decision.by) == ("faq/what_is_botox", "classifier")


def test_the_net_marks_its_decision_for_review() -> None:
    decision = route([], "cost", net=verdict(0.8))
    assert decision.intent == "emergency"
    assert decision.as_output() == {"decision": "urgent_unconfirmed", "by": "net", "score": 0.8}


def test_a_net_alarm_its_second_model_calls_a_crisis_gets_the_crisis_reply() -> None:
    decision = route([], "cost", net=verdict(0.8, "crisis"))
    assert (decision.intent, decision.decision, decision.by) == ("emergency", "crisis", "net")
    below = route([], "cost", net=verdict(0.4, "crisis"))
    assert below.decision == "classifier"


@pytest.mark.parametrize("intent", ["emergency", "crisis"])
def test_an_unconfirmed_classifier_alarm_gets_the_refusal(intent: str) -> None:
    decision = route([], intent, net=verdict(0.1))
    assert (decision.intent, decision.by) == ("personal_advice", "classifier_unconfirmed")


@pytest.mark.parametrize("intent", ["personal_advice", "emergency", "crisis"])
def test_off_topic_never_replaces_a_refusal_or_an_alarm(intent: str) -> None:
    decision = route([match("out_of_scope", "o")], intent)
    assert decision.decision != "out_of_scope"


@pytest.mark.parametrize("intent", ["cost", "faq/cost", "greet", "nlu_fallback", "anything_new"])
def test_any_other_intent_passes_through(intent: str) -> None:
    assert route([], intent).intent == intent


@pytest.fixture(scope="module")
def check(compiled_rules: CompiledRules) -> SafetyCheck:
    return SafetyCheck(compiled_rules, FakeNet(0.0))


@pytest.mark.parametrize(
    "text",
    [
        "is it normal to have trouble swallowing 2 days after botox",
        "my neck is stiff and I have a fever",
        "I had botox on monday. can it cause trouble breathing? because I'm struggling to breathe",
        "since my injections my throat feels tight",
        "my lips are swelling, is that an allergic reaction?",
    ],
)
def test_a_symptom_happening_to_the_person_gets_the_emergency_reply(
    check: SafetyCheck, text: str
) -> None:
    decision, _ = check.decide(text, "side_effects")
    assert (decision.decision, decision.by) == ("emergency", "rule")


@pytest.mark.parametrize(
    "text",
    [
        "can Botox cause trouble swallowing?",
        "what side effects need urgent attention?",
        "does a stiff neck after the injections go away",
        "is anaphylaxis possible with botox",
    ],
)
def test_a_general_question_reaches_the_faq(check: SafetyCheck, text: str) -> None:
    decision, _ = check.decide(text, "side_effects")
    assert (decision.intent, decision.by) == ("side_effects", "classifier")


def test_a_crisis_message_gets_the_crisis_decision(check: SafetyCheck) -> None:
    decision, _ = check.decide("my migraine is so bad I want to kill myself", "side_effects")
    assert (decision.intent, decision.decision) == ("emergency", "crisis")
    assert decision.rule == "suicide_direct"


def test_rasas_doc_is_used_when_it_is_the_lower_cased_text(
    check: SafetyCheck, spacy_pipeline: Any
) -> None:
    doc = spacy_pipeline("i can't swallow")
    decision, _ = check.decide("I can't swallow", None, doc)
    assert decision.decision == "emergency"


def test_dictated_punctuation_is_read_as_marks_even_with_rasas_doc(
    check: SafetyCheck, spacy_pipeline: Any
) -> None:
    """Rasa's doc keeps "full stop" as words: one long sentence, where "now" in the next one
    would make a head injury twenty years ago sound like today."""
    text = (
        "twenty years ago i had a head injury in a car crash and made a full recovery full stop "
        "my migraines started later and now i have them most days question mark"
    )
    decision, _ = check.decide(text, "side_effects", spacy_pipeline(text.lower()))
    assert decision.decision == "classifier"


def test_dialect_spellings_are_read_as_the_words_they_spell() -> None:
    """ "me" is "my" only before a part of the body or a relative: "help me" stays; "me da" is a
    father, and "me heid" a head."""
    text = "Me left haand winna grip da mug, me heid, me da, help me"
    assert CompiledRules.normalised(text) == (
        "my left hand won't grip the mug, my head, my da, help me"
    )


def test_a_dialect_word_joined_by_a_hyphen_is_another_word() -> None:
    """ "wi" is "with", but "Wi-Fi" is not "with-fi"; "dat" is "that"."""
    assert CompiledRules.normalised("The Wi-Fi went, dat was wi me da") == (
        "the wi-fi went, that was with my da"
    )


def test_doric_spellings_are_read_too() -> None:
    assert CompiledRules.normalised("I dinna want tae wake up, jist that auld seizure") == (
        "i don't want to wake up, just that old seizure"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jist been sick an it wis bright reid blood",
         "just been sick and it was bright red blood"),
        ("ah've stopped caring if ah wake up or no.", "i've stopped caring if i wake up or not."),
        ("a road oot o this that disna end wi me nae bein here",
         "a road out of this that doesn't end with me not being here"),
        ("i wish i could jist no exist, am no even joking",
         "i wish i could just not exist, i'm not even joking"),
        ("cant lift ma eyebrows", "cant lift my eyebrows"),
        # English the Scots forms must leave alone.
        ("i'm an a&e nurse, took an overdose, an mri, an hour",
         "i'm an a&e nurse, took an overdose, an mri, an hour"),
        ("blood type o positive, ah well, no longer, no problem",
         "blood type o positive, ah well, no longer, no problem"),
        ("ma said she was fine", "ma said she was fine"),
    ],
)  # fmt: skip
def test_scots_words_that_are_also_english_are_read_as_scots_only_in_place(
    text: str, expected: str
) -> None:
    """ "ah", "no", "an", "o", "am" and "ma" are Scots for "I", "not", "and", "of", "I'm" and "my"
    only where English would not put them."""
    assert CompiledRules.normalised(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2016 i had an allergic reaction to prawns, throat closed up, the lot \U0001f3e5 i "
         "just avoid shellfish now \U0001f645\u200d\u2640\ufe0f would botox be ok for me?",
         "personal_advice"),
        ("my throat is closing up \U0001f631 help", "emergency"),
    ],
)  # fmt: skip
def test_an_emoji_ends_a_sentence_even_with_rasas_doc(
    check: SafetyCheck, spacy_pipeline: Any, text: str, expected: str
) -> None:
    """Chat messages end sentences with emoji: "now" after one is not the reaction of 2016 again,
    and a sign before one is still read."""
    decision, _ = check.decide(text, None, spacy_pipeline(text.lower()))
    assert decision.decision == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("If she ever slurred her words, how would we tell a stroke from a side effect? Not "
         "happening, just being organised.", "classifier"),
        ("She seems really off today and nothing like that has happened before.",
         "urgent_unconfirmed"),
        ("He's gone red in the face, I'm patting his back but nothing's happening.",
         "urgent_unconfirmed"),
    ],
)  # fmt: skip
def test_the_net_stays_silent_when_the_message_says_nothing_is_happening(
    compiled_rules: CompiledRules, text: str, expected: str
) -> None:
    """A net alarm on a message that says nothing is happening is not raised; "nothing like that
    has happened before" describes a new symptom and is not a denial."""
    decision, matches = SafetyCheck(compiled_rules, FakeNet(0.9)).decide(text, "cost")
    assert not any(m.fired for m in matches if m.decision == "emergency")
    assert decision.decision == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Every time my migraine comes, the light hurts, my head beats on the left side, I feel "
         "like vomiting and I must lie down in the dark the whole day.", "classifier"),
        ("My migraine is always like this: the right side of my head is beating like a drum, I "
         "vomit, I cannot stand any light, and I sleep a full day.", "classifier"),
        # a habit that is not the migraine's: the net still speaks
        ("She's coughing every time she tries to eat her soup.", "urgent_unconfirmed"),
    ],
)  # fmt: skip
def test_the_net_does_not_overrule_signs_told_as_the_persons_usual_migraines(
    compiled_rules: CompiledRules, text: str, expected: str
) -> None:
    """Signs told only as how the person's migraines always are, with nothing told as now, are
    not an emergency, however high the net scores them (CompiledRules.tells_usual_migraine)."""
    decision, matches = SafetyCheck(compiled_rules, FakeNet(0.9)).decide(text, "cost")
    assert not any(m.fired for m in matches if m.decision == "emergency")
    assert decision.decision == expected


@pytest.mark.parametrize(
    ("text", "choice", "expected"),
    [
        ("can I drive home by myself after my botox?", ("faq/drive_after", 0.95), "faq"),
        ("can i still take my other meds with botox", ("faq/keep_current_medicines", 0.9), "faq"),
        # a decision asked for, an entry chosen unsure, an entry that is not practical
        ("should I drive home after my botox?", ("faq/drive_after", 0.95), "personal_advice"),
        ("can I drive home after my botox?", ("faq/drive_after", 0.5), "personal_advice"),
        # a practical choice is no decision: "or should I get a lift?", "should I wait?"
        (
            "can I drive home after my botox, or should I get a lift?",
            ("faq/drive_after", 0.95),
            "faq",
        ),
        (
            "can botox stop an attack once it starts, or should I wait for it to pass?",
            ("faq/will_it_stop_an_attack", 0.95),
            "faq",
        ),
        # what to watch for is knowing, not deciding
        (
            "my dad is to have botox. which serious symptoms should I watch for afterwards?",
            ("faq/serious_warning_signs", 0.95),
            "faq",
        ),
        (
            "Before my first Botox: which serious symptoms should I watch out for afterwards?",
            ("faq/serious_warning_signs", 0.8),
            "faq",
        ),
        # "what should it include" asks about the diary, not for a decision
        (
            "should I keep a headache diary, and what should it include?",
            ("faq/headache_diary", 0.95),
            "faq",
        ),
        (
            "I get headaches most days. should I be tracking them?",
            ("faq/headache_diary", 0.9),
            "faq",
        ),
        # A spoken first-person question about the treatment in general: any entry but those
        # about the person's own case (personal_advice.yml, `practical_entries`)
        (
            "Hi, um, my first appointment is next week and nobody has told me what happens. "
            "Do I lie down, do I take my top off?",
            ("faq/procedure_overview", 0.9),
            "faq",
        ),
        (
            "er, I had my first round on Monday, how many weeks do I get out of one lot?",
            ("faq/how_long_one_treatment_lasts", 0.9),
            "faq",
        ),
        # work or exercise that day: the entry answers only a message that names them
        # (personal_advice.yml, `entry_words`)
        (
            "Can I go to the gym the same day as my Botox or should I wait?",
            ("faq/work_exercise_after", 0.98),
            "faq",
        ),
        (
            "can i have a glass of wine tonight after my botox this morning?",
            ("faq/work_exercise_after", 0.82),
            "personal_advice",
        ),
        # ... in the question itself, not in the context
        (
            "Dead on my feet after a night shift. Can I have my Botox on no sleep?",
            ("faq/work_exercise_after", 0.9),
            "personal_advice",
        ),
        # ... but whether they may have it is their own case
        (
            "I've got lupus, am I allowed botox for my migraines?",
            ("faq/eligibility_overview", 0.9),
            "personal_advice",
        ),
        (
            "can I get my forehead done at the salon the same week as my migraine jabs?",
            ("faq/same_as_cosmetic", 0.95),
            "personal_advice",
        ),
        # ... but a choice about the treatment itself still is
        (
            "it doesn't stop my attacks, or should I switch to aimovig?",
            ("faq/will_it_stop_an_attack", 0.95),
            "personal_advice",
        ),
        # a decision entry answers a request for a decision in general ("only your doctor can say")
        ("should I get botox for my migraines?", ("faq/is_botox_right_for_me", 0.99), "faq"),
        ("do you think botox is a good choice for me?", ("faq/is_botox_right_for_me", 0.9), "faq"),
        ("should I get botox", ("faq/is_botox_right_for_me", 0.4), "personal_advice"),
        # a rule that fired (a condition named) keeps the refusal
        (
            "I have epilepsy, is botox right for me?",
            ("faq/is_botox_right_for_me", 0.99),
            "personal_advice",
        ),
        # a question run on without a "?" (asked_inside) asks
        (
            "i only get like eight migraines a month can i still get botox or do you have to have"
            " more",
            ("faq/fewer_than_15_days", 0.95),
            "faq",
        ),
        (
            "i only get like eight migraines a month and i want botox",
            ("faq/fewer_than_15_days", 0.95),
            "personal_advice",
        ),
        # a description that asks nothing keeps the refusal, with its numbers
        (
            "my neck is tight and my head aches every evening",
            ("faq/see_a_doctor_overview", 0.9),
            "personal_advice",
        ),
        ("headaches most days. where do i start?", ("faq/see_a_doctor_overview", 0.9), "faq"),
        # personal context, then a question in general: any entry chosen sure enough answers
        (
            "My husband has cluster headaches and I've just started Botox. Does Botox help with"
            " other kinds of headache, like cluster?",
            ("faq/other_headache_types", 0.95),
            "faq",
        ),
        # ... but not a question about the writer, nor one chosen unsure
        (
            "I have myasthenia gravis. Can I still have botox for my migraines?",
            ("faq/who_should_not_have_it", 0.99),
            "personal_advice",
        ),
        (
            "My husband has cluster headaches. Does Botox help with other kinds of headache?",
            ("faq/other_headache_types", 0.6),
            "personal_advice",
        ),
    ],
)
def test_a_practical_entry_answers_what_the_classifier_took_for_advice(
    check: SafetyCheck, text: str, choice: tuple[str, float], expected: str
) -> None:
    """personal_advice.yml's `practical_entries`: the general answer tells them to ask their
    clinic; a request for a decision still gets the refusal."""
    decision, _ = check.decide(text, "personal_advice", entry_choice=choice)
    assert decision.intent == expected


def test_a_practical_entry_never_replaces_a_personal_advice_rule(check: SafetyCheck) -> None:
    text = "I have diabetes, is it ok for me to drive home after botox?"
    decision, _ = check.decide(text, "personal_advice", entry_choice=("faq/drive_after", 0.99))
    assert (decision.decision, decision.by) == ("personal_advice", "rule")


@pytest.mark.parametrize(
    ("text", "intent", "choice", "expected"),
    [
        # a heading that names Botox, sent out of scope by the classifier alone
        (
            "BOTOX® for Cluster and Tension-Type Headache",
            "out_of_scope",
            ("faq/other_headache_types", 0.99),
            ("faq", "named_entry"),
        ),
        (
            "what the heck is a gepant lol",
            "out_of_scope",
            ("faq/gepants_what", 0.98),
            ("faq", "named_entry"),
        ),
        (
            "I take many medicine every day. With Botox I can continue all of them?",
            "nlu_fallback",
            ("faq/keep_current_medicines", 0.98),
            ("faq", "named_entry"),
        ),
        # the selector unsure, or nothing named: out of scope stays
        (
            "BOTOX® for Cluster and Tension-Type Headache",
            "out_of_scope",
            ("faq/other_headache_types", 0.8),
            ("out_of_scope", "classifier"),
        ),
        (
            "what is the best treatment for cluster headaches",
            "out_of_scope",
            ("faq/other_headache_types", 0.99),
            ("out_of_scope", "rule"),
        ),
        (
            "are cluster headaches worse",
            "out_of_scope",
            ("faq/other_headache_types", 0.99),
            ("out_of_scope", "rule"),
        ),
        (
            "what should i cook for dinner tonight",
            "out_of_scope",
            ("faq/keep_current_medicines", 0.99),
            ("out_of_scope", "classifier"),
        ),
        # an off-topic rule that fired wins: cosmetic Botox stays out
        (
            "is baby botox a thing",
            "out_of_scope",
            ("faq/same_as_cosmetic", 0.99),
            ("out_of_scope", "rule"),
        ),
        # the classifier's FAQ answer is never replaced
        ("is botox a poison", "faq", ("faq/what_is_in_botox", 0.99), ("faq", "classifier")),
    ],
)
def test_an_entry_the_message_names_answers_what_the_classifier_sent_out_of_scope(
    check: SafetyCheck, text: str, intent: str, choice: tuple[str, float], expected: tuple[str, str]
) -> None:
    """off_topic.yml's `named_terms`: a message that names the treatment or a medicine the FAQ
    covers gets the entry the selector is sure of, unless an off-topic rule fired."""
    decision, _ = check.decide(text, intent, entry_choice=choice)
    assert (decision.intent, decision.by) == expected


def test_every_practical_and_decision_entry_is_an_faq_entry(compiled_rules: CompiledRules) -> None:
    from bot.config import Settings
    from bot.content.knowledge import read_knowledge

    entries = set(read_knowledge(Settings().knowledge_dir).entry_ids)
    practical = {e for f in compiled_rules.book.files for e in f.practical_entries}
    decision = {e for f in compiled_rules.book.files for e in f.decision_entries}
    assert practical and decision and practical | decision <= entries
    worded = {e for f in compiled_rules.book.files for e in f.entry_words}
    assert worded and worded <= practical


class FakeCrisisNet(FakeNet):
    def verdict(self, text: str) -> NetVerdict:
        return verdict(self._score, kind="crisis")


def test_saying_nothing_is_happening_never_quiets_a_crisis(compiled_rules: CompiledRules) -> None:
    """`not_happening_phrases` deny a symptom; "my appointment isn't until March" in a message
    about wanting to sleep and never wake is no denial of that."""
    text = "I keep looking at the pills tonight. My appointment isn't until March anyway."
    decision, _ = SafetyCheck(compiled_rules, FakeCrisisNet(0.9)).decide(text, "cost")
    assert decision.decision == "crisis"
    quiet, _ = SafetyCheck(compiled_rules, FakeNet(0.9)).decide(text, "cost")
    assert quiet.decision == "classifier"


class DrowsyModel:
    """Scores 0.95 a short text that says someone is drowsy, 0.1 anything else: a stand-in for
    the net's model that sees a buried sign only in its own sentence."""

    def predict_proba(self, texts: list[str]) -> Any:
        import numpy as np

        return np.array([[0.0, 0.95 if "drowsy" in t and len(t) < 120 else 0.1] for t in texts])


ADMIN = (
    "Hello, I look after my dad, who has his Botox at your clinic every twelve weeks. Could we "
    "move his next slot to a Friday because of the hospital transport, and is the parking free "
    "for blue badge holders? "
)


@pytest.fixture(scope="module")
def sentence_check(compiled_rules: CompiledRules) -> SafetyCheck:
    net = SafetyNet(DrowsyModel(), 0.5, sentence_threshold=0.9, sentence_min_chars=200)
    return SafetyCheck(compiled_rules, net)


def test_a_sign_buried_in_a_long_post_is_scored_in_its_own_sentence(
    sentence_check: SafetyCheck,
) -> None:
    text = ADMIN + "Also since lunch he has been very drowsy and keeps nodding off mid-sentence."
    decision, matches = sentence_check.decide(text, "cost")
    assert not any(m.fired for m in matches if m.decision == "emergency")
    assert (decision.decision, decision.by) == ("urgent_unconfirmed", "net")
    assert decision.as_output()["sentence"].startswith("Also since lunch he has been very drowsy")


def test_the_sentence_is_kept_as_typed_so_that_redaction_finds_a_postcode(
    sentence_check: SafetyCheck,
) -> None:
    from bot.stores.redact import redact

    text = ADMIN + "İ am at SW1A 1AA with him and since lunch he has been very drowsy."
    decision, _ = sentence_check.decide(text, "cost")
    assert decision.sentence == "İ am at SW1A 1AA with him and since lunch he has been very drowsy."
    assert "SW1A" not in redact(decision.sentence)


def test_a_dictated_sentence_is_kept_as_typed_with_its_spoken_marks(
    sentence_check: SafetyCheck,
) -> None:
    """ "full stop" becomes one character in the parse; the sentence scored is still cut at the
    right place in what was typed."""
    text = ADMIN + "Also since lunch he has been very drowsy full stop He is at home question mark"
    decision, _ = sentence_check.decide(text, "cost")
    assert decision.sentence == "Also since lunch he has been very drowsy full stop"


@pytest.mark.parametrize(
    "text",
    [
        # long ago, a supposition, a general question, denied, said not to be happening
        ADMIN + "Two years ago he was very drowsy for a week after an infection.",
        ADMIN + "If he ever got very drowsy after the injections, who would we call?",
        ADMIN + "Does Botox make people drowsy?",
        ADMIN + "He has been himself all day, without feeling drowsy at all.",
        ADMIN + "Nothing is happening now, but he was drowsy for a bit and is fine.",
    ],
)
def test_a_sentence_told_as_past_supposed_asked_or_denied_is_not_scored_alone(
    sentence_check: SafetyCheck, text: str
) -> None:
    decision, _ = sentence_check.decide(text, "cost")
    assert decision.decision == "classifier"


def test_a_short_message_is_scored_whole(sentence_check: SafetyCheck) -> None:
    decision, _ = sentence_check.decide("Also since lunch he has been very drowsy.", "cost")
    assert (decision.by, decision.sentence) == ("net", None)


class FixedModel:
    """Scores every text the same: a stand-in for the net's model."""

    def __init__(self, score: float) -> None:
        self._score = score

    def predict_proba(self, texts: list[str]) -> Any:
        import numpy as np

        return np.array([[1 - self._score, self._score] for _ in texts])


def signs_check(rules: CompiledRules, score: float) -> SafetyCheck:
    net = SafetyNet(FixedModel(score), 0.5, sign_threshold=0.35, no_sign_threshold=0.7)
    return SafetyCheck(rules, net)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("half of what I'm looking at has gone, both eyes, since 9", "urgent_unconfirmed"),
        # only general sign words ("headache"), a supposition, a denial
        ("kids are off school and I can feel a headache brewing", "classifier"),
        ("what if my eyes went blurry after the jabs?", "classifier"),
        ("no blurred vision, just the usual throb", "classifier"),
    ],
)
def test_a_short_message_naming_a_specific_sign_now_needs_only_the_sign_threshold(
    compiled_rules: CompiledRules, text: str, expected: str
) -> None:
    decision, _ = signs_check(compiled_rules, 0.4).decide(text, "side_effects")
    assert decision.decision == expected


@pytest.mark.parametrize(
    ("score", "text", "expected"),
    [
        (0.6, "my laptop crashed halfway through the booking form", "classifier"),
        (0.8, "my laptop crashed halfway through the booking form", "urgent_unconfirmed"),
        (0.6, "she has been very sleepy and vague since lunch", "urgent_unconfirmed"),
    ],
)
def test_a_message_telling_no_sign_as_now_needs_the_higher_threshold(
    compiled_rules: CompiledRules, score: float, text: str, expected: str
) -> None:
    decision, _ = signs_check(compiled_rules, score).decide(text, "cost")
    assert decision.decision == expected


def test_a_crisis_is_never_held_back_for_naming_no_sign(compiled_rules: CompiledRules) -> None:
    net = SafetyNet(FixedModel(0.6), 0.5, no_sign_threshold=0.7, kind_model=FixedModel(0.9))
    decision, _ = SafetyCheck(compiled_rules, net).decide("I can't do this anymore", "greet")
    assert decision.decision == "crisis"
