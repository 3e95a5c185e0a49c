"""The conditions that keep history, suppositions and reading from raising alarms, and the ones
that keep real alarms (bot/safety/rules.py), on the project's rule files."""

from __future__ import annotations

from typing import Any

import pytest

from bot.safety.rules import CompiledRules, RuleBook, message_words
from tests.unit.safety.conftest import BOOK, fired_ids


@pytest.mark.parametrize(
    "text",
    [
        "back in 2019 I had a seizure during a migraine. Can I still have Botox?",
        "I had a febrile seizure as a toddler, over 30 years ago, and none since",
        "two years ago I had double vision, the scans came back clear",
        "last year I fainted having bloods taken and I have been fine since",
        "I have a history of hives with plasters. Is Botox a problem?",
        "if I ever got double vision after the jabs, would I need to report it?",
        "what happens if I get trouble swallowing after Botox?",
        "the label mentions loss of bladder control, why?",
        "what if your body reacts badly, like swelling up or hives?",
        "if I ever had difficulty swallowing after the jabs, who would I call, 111?",
        "just in case, how do you tell a thunderclap headache from a migraine?",
        "years ago my face swelled right up after a wasp sting and I was fine. Is Botox a risk?",
        "I've not had a seizure in 8 years. Can I have Botox?",
        "my eyelid feels heavy since the jabs but my vision is normal and I'm talking fine",
        "If I ever had a fit, could I still have Botox?",
        "Is a thunderclap headache just a really bad migraine?",
        "I'm a nurse and I keep hearing about drooping faces at work. Does Botox cause that?",
        "I had a febrile seizure as a toddler, 30 years ago now. Can I have Botox?",
        "years back my dad lost some sight in one eye before they started steroids. Is it linked?",
        "had a fit at 19, never had another, now 35 and off all meds. can i have botox?",
        "Can Botox cause double vision? A friend had it after cosmetic botox years ago",
        "Hypothetically, if someone got double vision weeks after botox, would it still be that?",
        # "keeps an EpiPen": holding something, not happening again
        "My wife's throat closed up last spring after penicillin, she's been fine ever since and"
        " keeps an EpiPen in her bag. Does a penicillin allergy matter?",
        # the state after the story ("back to normal now") does not end it
        "Back in March I came off my bike and had a night in A&E. CT was fine, concussion only, and"
        " I'm completely back to normal now. Will they want to know about the concussion?",
        # as it always is ("like usual", "my normal pattern")
        "my migraine came on in seconds like usual at work. Can I get Botox on a weekday evening?",
        # compared with the usual ones, a time does not make it new
        "my usual migraine came on suddenly two hours ago, same as always. Does Botox help?",
        # a story told in the present tense, placed long ago and told to its end
        "So it's summer 2018, I'm on the beach and suddenly my speech goes slurred and my arm goes"
        " numb. Ambulance, scans, the lot. Turned out to be a hemiplegic migraine and I've been"
        " fine since. Does Botox help that kind?",
        "I'm lying on the kitchen floor and my throat is closing up. That's me in 2016 after"
        " antibiotics. Hospital, all fine. Do I need to tell the clinic?",
        # "since" giving a reason, in a list the writer is making
        "I'm making a little fridge list for my flatmate, since I live with her, of the signs"
        " that mean she should call 911 after the jabs, like trouble breathing?",
        # being given the treatment, and off medicines now, are not the sign again
        "had a fit in 2017 but nothing since and off my tablets now, will that stop me getting"
        " the jabs?",
        # "can I still have botox": the treatment, not the sign again
        "had one fit when I was 9 but nothing since, fine for years, can I still have botox",
        # "I once": a story from the past
        "I once came out in hives from a plaster. Would I react to Botox?",
        # what was lost came back
        "Years ago, in 2011, I lost my vision in one eye for ten minutes and it came back. Is"
        " Botox a problem?",
        # an "if" clause about anyone at all; "today" is about the course
        "today we did first aid at work and learned what to do if someone collapses, does my"
        " manager need to know about my botox",
        # an animal
        "my cat had a seizure last night, vet says she's fine. Can I still go for my botox?",
        # told with ellipses, each a sentence end: a short sentence that only says how long ago
        # is part of the placing
        "a long time ago... maybe fifteen years... i came out in hives and my lips swelled after"
        " an antibiotic... all fine now and i'm starting botox soon... do i tell them?",
        "it was a long time ago... must be twenty years... my throat swelled up after a wasp"
        " sting and they kept me in... fine now... does that matter for botox?",
        # what a course or study covers
        "the instructor spent ages on recognizing a stroke, seizures and choking. Is Botox safe?",
        "Paramedic student, revising stroke & seizure recognition. How long does Botox take?",
        # relearning after it, the migraines worse, fine "for years now", told with no full stops
        "twelve years ago i had a bleed on the brain after a car crash and had to learn to walk"
        " again but i have been fine for years now apart from the migraines which got a lot worse"
        " so can i have botox",
        # "since" a time placed long ago: when it began
        "my son is 23 and has been scared of needles ever since a jab as a little boy when he"
        " fainted at the surgery, does botox hurt much?",
    ],
)
def test_history_suppositions_and_reading_do_not_alarm(
    compiled_rules: CompiledRules, text: str
) -> None:
    assert fired_ids(compiled_rules, text, "emergency") == set()


@pytest.mark.parametrize(
    "text",
    [
        "back in 2019 I had a seizure and I had another one 2 days ago",
        "two years ago I had a seizure and tonight it happened again",
        "I had double vision years ago and since last night it is back",
        "if he can't breathe should I call 911",
        "if I got Botox 2 days ago and now can't swallow, what do I do?",
        "if I got double vision 3 hours after my injections, is that bad?",
        "just in case, I think I am having the worst headache of my life",
        "the leaflet mentioned loss of bladder control and now it is happening to me",
        "years ago I had hives, and right now my lips are swelling after the injections",
        "I had not had a seizure in years, but she hasn't woken up properly since her fit at 2",
        "my eyelids are drooping and my vision is not normal since yesterday",
        "he slumped in his chair, came round but he is grey and clammy. Is this just a faint?",
        "she hasn't had a seizure before but now she is shaking all over",
        "my son had a fit back in 2019 and now 20 minutes later he had another one",
        "I had a fit in 2017 and I'm getting them again since yesterday",
        "I lost my sight in one eye years ago and it came back, but today it's gone again",
        "what do I do if someone collapses right now in front of me",
        "I was walking the dog this morning and my husband collapsed",
        "my dad had a stroke in 2015 and now his face is drooping again",
        "is it normal to see double 10 days after botox?",
        # a word typed without its final g
        "im seein double since the botox on friday",
        "two years ago he had a seizure and was fine after. He is fitting now.",
        "she keeps choking on her drinks since the botox last week",
        "my migraine came on in seconds at work, nothing like usual",
        "my usual migraine started an hour ago but it's the worst headache of my life",
        # a story's ending does not cover what is told as now, or a new episode
        "In 2019 I had a bleed on the brain. I have the same sudden worst headache and I'm being"
        " sick. Last time it turned out to be a bleed.",
        "So it's 2021 and he had a seizure, turned out to be epilepsy. He is jerking on the floor"
        " and won't wake up.",
        "Last year I had a TIA and it turned out fine. My face is drooping and I can't lift my"
        " arm.",
        "So it's Christmas 2021 and he collapsed, turned out fine. Now he's fitting on the floor.",
        # "since" a time still tells it as now
        "since I had the jabs I have trouble breathing",
        # a person or a turn of events between the study and the sign
        "I was revising for exams and suddenly can't see out of one eye",
        "we did a session on choking and my son is choking",
        "I had a bleed in 2015 and had to learn to talk again, and now my speech is slurred again",
        # Shetland and Scots spellings of common words
        "wir peerie lass is shakkin aa ower on da settee, een rolled back",
        "me left haand winna grip da mug an da words ir comin oot aa wrang",
    ],
)
def test_the_same_words_with_a_sign_of_now_still_alarm(
    compiled_rules: CompiledRules, text: str
) -> None:
    assert fired_ids(compiled_rules, text, "emergency")


def test_a_wish_not_to_wake_up_is_a_crisis_but_someone_who_wont_wake_is_an_emergency(
    compiled_rules: CompiledRules,
) -> None:
    wish = "some nights I go to sleep hoping I just won't wake up. The pain would stop."
    assert fired_ids(compiled_rules, wish, "crisis")
    assert fired_ids(compiled_rules, wish, "emergency") == set()
    collapse = "my wife has a bad headache and now she won't wake up"
    assert fired_ids(compiled_rules, collapse, "emergency") == {"collapse"}


def test_also_with_needs_both_word_lists(compiled_rules: CompiledRules) -> None:
    rule = "pregnancy_headache_with_vision_or_swelling"
    both = "I'm 36 weeks pregnant, severe headache and my vision is blurry"
    assert rule in fired_ids(compiled_rules, both, "emergency")
    no_vision = "I'm 36 weeks pregnant with a severe headache, what can I take?"
    assert rule not in fired_ids(compiled_rules, no_vision, "emergency")


@pytest.mark.parametrize(
    ("text", "scored_alone"),
    [
        # the checks after the injections, reported as passed: not a sign for the second net
        (
            "Talking, swallowing, breathing and vision all fine. Can I wear make-up on the bruise?",
            0,
        ),
        ("He's eating and talking normally and his breathing's fine. Ice or heat on the bumps?", 0),
        ("Vision and speech both fine, swallowing no problem. Is a sore neck normal?", 0),
        # a passed check beside a sign, or a check that did not pass, is still a sign
        ("His breathing is fine but he can't swallow his tea since this morning.", 1),
        ("She isn't breathing properly, talking fine.", 1),
        ("My talking is fine, my vision is blurry and doubled.", 1),
        ("Swallowing is fine, but she's very drowsy and confused.", 1),
        # an old weakness that went away, with no trouble since: history, not a sign
        (
            "In 2014 dad had a TIA, his arm went weak for an hour and it all came back, and he has"
            " been on blood thinners ever since without any more trouble.",
            0,
        ),
        (
            "Dad had a TIA in 2014 and it all came back, but this morning his arm went weak again.",
            1,
        ),
        # the next sentence says it is how it always is; another sentence after a sign does not
        ("Proper migraine today, can't face the light. Same old as every month on nights.", 0),
        ("Worst headache of my life ten minutes ago, can't see. Same old story with the bus.", 1),
        # the sentence before says so, and the sign's own sentence says nothing of now
        (
            "Same old migraine this morning, comes on every time the weather swings. Starts over"
            " my left eye and works back.",
            0,
        ),
        (
            "Same old migraine this morning, comes on every time the weather swings. Now my face"
            " has dropped on the left.",
            1,
        ),
    ],
)
def test_checks_reported_as_passed_are_not_signs(
    compiled_rules: CompiledRules, text: str, scored_alone: int
) -> None:
    told = compiled_rules.sentences_told_as_now(compiled_rules.parse(text))
    assert len(told) == scored_alone


def test_a_file_without_now_words_checks_a_question_after_its_story(spacy_pipeline: Any) -> None:
    """A question after a phrase a file reads as the past is checked with the word lists the
    file has: the crisis file has no `now_words` (this raised KeyError when its `long_ago` also
    held "year")."""
    crisis = next(f for f in BOOK.files if f.decision == "crisis")
    lists = {**crisis.word_lists, "long_ago": [*crisis.word_lists["long_ago"], "year"]}
    assert "now_words" not in lists
    files = tuple(f.copy(update={"word_lists": lists}) if f is crisis else f for f in BOOK.files)
    rules = CompiledRules(RuleBook(files), spacy_pipeline)
    text = (
        "Every tablet I've been prescribed in the last year is lined up on the table. I keep"
        " thinking how easy it would be to swallow the whole thing. Is that normal?"
    )
    assert "indirect_wish_to_die" in fired_ids(rules, text, "crisis")


def test_speaking_in_an_idiom_is_no_speech(compiled_rules: CompiledRules) -> None:
    """ "Generally speaking" names no trouble speaking, in the whole message or in its second
    sentence alone (a sentence is a span: its tokens keep their place in the message)."""
    doc = compiled_rules.parse("Dad is fine. Generally speaking, how long does a droopy lid last?")
    second = list(doc.sents)[1]
    assert "speak" not in message_words(doc)
    assert "speak" not in message_words(second)
    assert "speak" in message_words(compiled_rules.parse("Since Tuesday he has trouble speaking."))


def test_talking_about_something_is_no_sign(compiled_rules: CompiledRules) -> None:
    """ "Talk about it" is a conversation: the second net does not score that sentence alone;
    "she can't talk properly now" names a sign."""
    told = compiled_rules.sentences_told_as_now
    quiet = "Our lass is booked in. She won't even talk about it now without getting wound up."
    assert told(compiled_rules.parse(quiet)) == []
    assert told(compiled_rules.parse("She had Botox on Monday. She can't talk properly now."))


def test_a_stay_or_years_go_on_with_the_story_and_hours_are_now(
    compiled_rules: CompiledRules,
) -> None:
    """After a sentence placed long ago, "in the hospital ten days" and "for over twenty-five
    years" tell the story; "for two hours" tells now."""
    story = (
        "Back in 1998 I cracked my skull at the sawmill. I was in the hospital ten days and had "
        "seizures for a while after, not for over twenty-five years."
    )
    assert fired_ids(compiled_rules, story, "emergency") == set()
    now = "Back in 2019 I had a bleed on the brain. Slurred speech for two hours."
    assert fired_ids(compiled_rules, now, "emergency")
