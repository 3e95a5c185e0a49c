"""Safety rules as data: the files in data/safety/*.yml, validated and compiled once.

Each file holds the rules for one decision (emergency, crisis, personal_advice, out_of_scope).
A rule fires when one of its `phrases` (matched on lemmas, or on lower-case words when the file
says `match_on: lower`) or one of its spaCy token `patterns` is in the message, and its
conditions hold:

- `only_with`: at least one of these words (lemma or lower-case form) is in the message;
- `also_with`: and at least one of these too (a second, independent condition: "pregnant" with a
  headache word and a vision or swelling word);
- `unless`: none of these words is in the message;
- `sentence_with`: at least one of these words is in the match's own sentence ("like a bomb"
  with "head" or "pain": a headache, not a kitchen after a party);
- `answered_by`: the classifier's intent is not one of these (their answer covers the subject);
- `except_phrases`: harmless uses of the words ("my boss will have a fit", "collapse into bed"):
  a match whose last word is inside one of these (matched on lower-case words) does not fire
  ("hoping I don't wake" + "wake up with a migraine");
- `general_questions` (what a question about the subject in general does to the rule):
  `fire` (default): it fires anyway;
  `exempt`: a sentence starting with a question word ("can", "does", ...) with no word saying it
  happens to someone now (`@personal_or_now`) does not fire ("can Botox cause trouble swallowing?");
  `exempt_unless_sign_in_sentence`: as `exempt_unless_any_sign` (below), but only a sign or a
  time in the question's own sentence counts ("is it normal to see double 10 days after botox?"
  fires; "Can Botox cause double vision? A friend had it years ago" does not);
  `exempt_unless_any_sign`: as `exempt`, but any sign anywhere in the message that it is happening
  (`@personal_or_now`, `@signs_it_is_happening`, a time such as "2 days after") makes it fire
  (review C2); in a message that says where it was read (`reading_words`, `reading_phrases`),
  only `@signs_it_is_happening` and a time count ("saw it on the leaflet and it scared me" is
  no sign).
  With either, a question (a sentence ending in "?", starting with a question word or "if", or
  asking indirectly: one of the file's `indirect_questions`, "wondered if") in a message that
  says it is not happening (one of the file's `not_happening_phrases`: "is losing bladder
  control a side effect? ... not happening, just wondering"; "nobody here is unwell") does not
  fire, nor does a general question of either kind in such a message, unless "before" or
  "until" follows the phrase ("nothing like that has happened before") or the question itself
  has an `asked_about_now` word or a time ("is it normal I can't swallow since yesterday?").
  A sentence about people in general (`@in_general`: "someone", "anyone") with none of
  `@happening_to_writer` ("my", "now", "just", ...) counts as a general question too, when the
  file has those two lists.

Long ago: when a file has the word lists `long_ago` ("months", "years") and `happening_again`
("since", "still", "now"), a match in a sentence that places it in the past ("ago" or "last" with a
`long_ago` word, a year such as 2019, or one of the file's `past_phrases`: "back in", "as a child";
"when I was" before a moment, "in the bathroom" or "asleep", is no time of life) and says nothing of
it happening again does not fire. So does a sentence the next one dates: "That was 2017", "That's 25
years ago", "That 15 year ago", "It's more than twenty years ago now". A `happening_again` word up
to three words after "none", "not", "never", "nothing", "no", "fine", "better" or "recovered", or
right before "clear" or "normal", does not count ("none since", "never needed it since", "fully
better now", "came back clear"), nor "just" before "after" or "before" ("just after Easter 2016") or
after "was" or "were" ("I was just dehydrated"), nor does "now" before "know" or "realise" ("what I
now know was a bleed"), "back" up to three words before "normal" or "usual" ("back to my normal"),
"still" after "while" or "was" ("when I was still living in ...") or before "tells" or "remembers"
("my grandad still tells the story"), or "back" as a place or a time ("the back of my skull", "my
lower back", "back home", "back then"), nor does one after "recovered", "healed" or "resolved" in
the same clause ("recovered completely, I'm on aspirin now"; "but now" starts a new one), nor "now"
up to three words before "well", "fine" or "recovered" ("now he is fully well"), which, like
"recovered", holds to the end of the clause ("now she totally fine, still cooks every Sunday"), nor
"keep" before "me" or "him" and "in" ("they keep me in hospital": a stay) or before "an eye" ("to
keep an eye"), nor "now" a few words after "carries" or a stage of life ("she carries a pen now",
"baby's in middle school now"), nor "since" after "on" and a medicine word ("I've been on tablets
since"); a `recent_units` word ("days", "hours") before "ago" or after "last" / "past" / "this" does
("two years ago, and again 2 days ago" fires). A later question about a symptom of the same category
that says nothing of now (no `now_words` or `happening_again` word, no time, not "this" or
"another") is about that story and does not fire either: "My grandad had a stroke back in 1998 ...
Does having a grandparent who had a stroke stop me having Botox?" ("can I still get botox" is the
treatment, not now). "Now" right after a number is an age ("I'm 31 now"), and after "be" and ten to
nineteen how long ago ("must be fifteen now"), not again. The crisis file counts only years and
childhood as long ago: an attempt "last month" still gets the crisis reply. A file with the word
list `present_words` also follows the story: a later sentence that, like every sentence between it
and the one placed long ago, has no `present_words` or `now_words` word and no time goes on with
that story and does not fire ("Two years ago I had a bleed on the brain. It started with the most
violent headache, I collapsed on the bathroom floor." ; "... My son collapsed in the hall and he is
not responding" still fires). A story told in the present tense ("So it's Christmas 2021, my dad ...
goes down, jerking on the floor.") does not fire once a later sentence tells its end (the file's
`story_endings`: "turned out", "fine since"), when nothing in its own sentence says now
(_finished_story).

Usual for them: in a rule with `when_usual: exempt`, a match in a sentence with one of the
file's `usual_phrases` ("always", "my usual", "every attack"), no "but" and no time does not
fire, unless the message has one of its `changed_phrases` ("this one", "not my usual", "never
felt"): "my usual migraine came on suddenly at work today" is how it always is; a thunderclap
headache is a red flag because it is new. A time is allowed with one of its `usual_comparisons`
("same as always", "like usual"): they compare this headache with the usual ones ("came on
suddenly this morning, same as always"), where "always" alone may only say how often ("I always
get migraines and ten minutes ago ...").

Supposed or read about: a match after one of the file's `supposition_starts` ("what if", "in
case") in its sentence, or after one of its `hypothetical_starts` ("if", not "as if") or at a
sentence starting with one of its `hypothetical_openers` ("say I got double vision") in a
sentence with a `hypothetical_words` word ("ever", "would", "someone"), does not fire when it has no
`now_words` word and no time ("2 days after", "last night"): "if I ever had trouble swallowing
after my injections, who would I call, 111?" does not fire; "if he can't breathe" still does. A
short question of signs alone with no word about the writer or now, right after a question that
starts with one of those starts, gives its examples and does not fire ("If after Botox have
allergy, how to know? Face swell, itchy?"). A
match in a sentence with a `reading_words` word ("leaflet", "mentioned") or one of the file's
`reading_phrases` ("read about") and no `now_words` word does not fire either, unless a
`someone_now` word comes between the last reading word before the match and the match ("we were
watching a film when my dad collapsed") or, with the reading word only after the match, before
the match ("my mum collapsed while watching a film").

Written up: in a message with one of the file's `writing_phrases` ("a leaflet for", "a short
story", "school project"), a match in any sentence with no `now_words` word, no "suddenly" and no
time is the content being written, and does not fire.

Lead-ins: a sentence starting with one of the file's `lead_ins` ("just in case", "quick
question") is read without them when deciding whether it is a general question; a lead-in that
supposes ("just in case") still makes a question a supposition ("Just in case after botox my face
swell, what I must do?"). Words before a colon that end with one of `not_happening_phrases`
("General question, not happening now: if someone ...") are read as a lead-in too. In a general
question, a time unit asked about as how soon ("how many days after", "can it come days later")
is no sign that it is happening.

Negation: when a file lists `negations` ("no", "without"), a match right after one of them (at
most two words before it, no punctuation between; at most five across "or" or "nor": "never had
weakness or trouble talking") does not fire ("no double vision"), nor does one right after "not
had" or "n't got" (perhaps with "a" or "any": "I've not had a seizure in 8 years"), and an
`only_with`, `also_with` or `unless` word right after one does not count ("no fever", "no
asthma"); nor does one with "not" (or "n't") and a form of have or got in the three words before
it ("she hasn't got a temperature").

A condition word written `@name` stands for the list `name` under `word_lists` in the same file,
which `faqbot safety show` prints expanded. Nothing else is generated: every phrase and pattern
runs exactly as written. Each rule carries `must_match` / `must_not_match` examples, which
tests/unit/safety/test_rule_examples.py checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, Extra, root_validator, validator

from bot.nlu.spelling import english_words

DECISIONS = ("emergency", "crisis", "personal_advice", "out_of_scope")
# The order the router asks the rule files in (bot/safety/router.py).
FILE_ORDER = {decision: number for number, decision in enumerate(DECISIONS)}
QUESTION_WORD_LISTS = ("question_starts", "personal_or_now")
ID = re.compile(r"^[a-z][a-z0-9_]*$")
# PyYAML's safe loader in C (libyaml) where installed: the same documents, a tenth of the time
# (reading the rule files took 0.1 s of the Rasa server's start-up).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _OneKeyOnceLoader(SAFE_LOADER):  # type: ignore[misc, valid-type]
    """Refuses a key given twice in one mapping. PyYAML keeps the last one silently, so a rule
    whose `- id:` line was lost while editing took the next rule's fields as its own."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class Source(BaseModel, extra=Extra.forbid):
    name: str
    url: str

    @validator("name", "url")
    def _not_empty(cls, value: str) -> str:  # noqa: N805
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class Rule(BaseModel, extra=Extra.forbid):
    id: str
    category: str
    description: str
    phrases: list[str] = []
    patterns: list[list[dict[str, Any]]] = []
    only_with: list[str] = []
    also_with: list[str] = []
    unless: list[str] = []
    sentence_with: list[str] = []
    answered_by: list[str] = []
    except_phrases: list[str] = []
    general_questions: Literal[
        "fire", "exempt", "exempt_unless_any_sign", "exempt_unless_sign_in_sentence"
    ] = "fire"
    # `exempt`: a sentence saying this is how it always is for them does not fire (see
    # `usual_phrases` in the module docstring).
    when_usual: Literal["fire", "exempt"] = "fire"
    match_on: Optional[Literal["lemma", "lower"]] = None  # noqa: UP007 (pydantic 1)
    source: Source
    reviewed: Optional[dict[str, str]] = None  # noqa: UP007
    must_match: list[str]
    must_not_match: list[str] = []

    @validator("id")
    def _id(cls, value: str) -> str:  # noqa: N805
        if not ID.match(value):
            raise ValueError("ids are lower-case letters, digits and _")
        return value

    @validator("description")
    def _described(cls, value: str) -> str:  # noqa: N805
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @validator(
        "phrases", "only_with", "also_with", "unless", "sentence_with", "must_match",
        "must_not_match", each_item=True,
    )  # fmt: skip
    def _no_empty_strings(cls, value: str) -> str:  # noqa: N805
        if not value.strip():
            raise ValueError("empty string")
        return value

    @validator("phrases", "except_phrases")
    def _phrases_unique(cls, value: list[str]) -> list[str]:  # noqa: N805
        lowered = [p.lower().strip() for p in value]
        duplicates = sorted({p for p in lowered if lowered.count(p) > 1})
        if duplicates:
            raise ValueError(f"phrases listed twice: {duplicates}")
        return value

    @validator("phrases", "except_phrases", each_item=True)
    def _not_one_common_word(cls, value: str) -> str:  # noqa: N805
        """A lone "is" or "can" matches nearly every message: usually a comma inside a phrase
        of a YAML list ("so confused, is") split it in two."""
        from spacy.lang.en.stop_words import STOP_WORDS

        if value.strip().lower() in STOP_WORDS:
            raise ValueError(f"{value!r} alone is a common word (a comma inside a phrase?)")
        return value

    @validator("only_with", "also_with", "unless", "sentence_with", each_item=True)
    def _single_words(cls, value: str) -> str:  # noqa: N805
        if " " in value.strip():
            raise ValueError(f"condition words are single words: {value!r}")
        return value

    @root_validator(skip_on_failure=True)
    def _matches_something(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        if not values["phrases"] and not values["patterns"]:
            raise ValueError(f"rule {values['id']}: needs phrases or patterns")
        if not values["must_match"]:
            raise ValueError(f"rule {values['id']}: needs at least one must_match example")
        return values


class RuleFile(BaseModel, extra=Extra.forbid):
    version: Literal[1]
    decision: Literal["emergency", "crisis", "personal_advice", "out_of_scope"]
    description: str
    match_on: Literal["lemma", "lower"] = "lemma"
    word_lists: dict[str, list[str]] = {}
    negations: list[str] = []
    past_phrases: list[str] = []
    hypothetical_starts: list[str] = []
    hypothetical_openers: list[str] = []
    supposition_starts: list[str] = []
    reading_phrases: list[str] = []
    writing_phrases: list[str] = []
    not_happening_phrases: list[str] = []
    indirect_questions: list[str] = []
    lead_ins: list[str] = []
    usual_phrases: list[str] = []
    usual_comparisons: list[str] = []
    story_endings: list[str] = []
    changed_phrases: list[str] = []
    # personal_advice.yml: entries that answer a first-person practical question in general
    # ("can I drive home after my injections?"); the classifier's refusal gives way to them
    # (bot/safety/router.py, step 6).
    practical_entries: list[str] = []
    practical_min_confidence: float = 1.0
    # A practical entry listed here answers only when a sentence that asks has one of its words:
    # work_exercise_after's answer is about work and exercise, not a glass of wine or a sunbed.
    entry_words: dict[str, list[str]] = {}
    decision_phrases: list[str] = []
    # A practical choice, not a medical decision ("... or should I get a lift?", "should I
    # wait?"): taken out of the message before `decision_phrases` are looked for.
    practical_choices: list[str] = []
    # Entries whose answer is itself the general reply to a request for a decision ("Is Botox
    # right for me?": only your doctor can say, and what it depends on): they answer even a
    # message with a decision phrase.
    decision_entries: list[str] = []
    decision_min_confidence: float = 1.0
    # Personal context, then a general question ("My husband has cluster headaches ... Does Botox
    # help with other kinds of headache?"): when no question sentence has a word of the
    # `first_person` list and none asks for a decision, any entry chosen with this confidence
    # answers.
    general_question_min_confidence: float = 1.0
    # off_topic.yml: the classifier alone said out of scope or was unsure, but the message names
    # one of these (lemmas; `@name` lists allowed) and the entry selector chose an entry with
    # `named_entry_min_confidence`: that entry answers ("BOTOX® for Cluster and Tension-Type
    # Headache" gets other_headache_types). An off-topic rule that fired still wins.
    named_terms: list[str] = []
    named_entry_min_confidence: float = 1.0
    safety_rules: list[Rule]  # not `rules`: Rasa reads data/ and would take them for its rules

    @root_validator(skip_on_failure=True)
    def _references_resolve(cls, values: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        lists = values["word_lists"]
        for word in values["named_terms"]:
            if " " in word.strip() or (word.startswith("@") and word[1:] not in lists):
                raise ValueError(f"named_terms: {word!r} is not a single word or a word list")
        for rule in values["safety_rules"]:
            for word in [*rule.only_with, *rule.also_with, *rule.unless, *rule.sentence_with]:
                if word.startswith("@") and word[1:] not in lists:
                    raise ValueError(f"rule {rule.id}: no word list {word[1:]!r} in this file")
            if rule.general_questions != "fire":
                needed = [*QUESTION_WORD_LISTS]
                if rule.general_questions.startswith("exempt_unless"):
                    needed.append("signs_it_is_happening")
                missing = [name for name in needed if name not in lists]
                if missing:
                    raise ValueError(f"rule {rule.id}: word lists {missing} are needed")
        return values

    def words(self, items: Iterable[str]) -> frozenset[str]:
        """The condition words, `@name` references expanded, lower case."""
        out: set[str] = set()
        for item in items:
            out |= set(self.word_lists[item[1:]]) if item.startswith("@") else {item}
        return frozenset(w.lower() for w in out)

    def listed(self, *names: str) -> frozenset[str]:
        """The words of those of the word lists `names` the file has: the shared mechanisms run
        on every file, and not every file has every list (crisis.yml has no `now_words`)."""
        return self.words([f"@{name}" for name in names if name in self.word_lists])


class RuleBookError(ValueError):
    """A rule file does not validate, or two rules share an id."""


@dataclass(frozen=True)
class RuleBook:
    files: tuple[RuleFile, ...]  # in router order: emergency, crisis, personal advice, off-topic

    @property
    def rules(self) -> list[tuple[RuleFile, Rule]]:
        return [(f, r) for f in self.files for r in f.safety_rules]

    def to_json(self) -> list[dict[str, Any]]:
        return [f.dict() for f in self.files]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> RuleBook:
        return cls._checked([RuleFile.parse_obj(item) for item in data])

    @classmethod
    def _checked(cls, files: list[RuleFile]) -> RuleBook:
        seen: set[str] = set()
        for file in files:
            for rule in file.safety_rules:
                if rule.id in seen:
                    raise RuleBookError(f"rule id {rule.id!r} is used twice")
                seen.add(rule.id)
        return cls(tuple(sorted(files, key=lambda f: FILE_ORDER[f.decision])))


RULE_FILES = ("red_flags.yml", "crisis.yml", "personal_advice.yml", "off_topic.yml")


def load_rules(directory: Path) -> RuleBook:
    """Reads and validates data/safety/{red_flags,crisis,personal_advice,off_topic}.yml."""
    files = []
    for name in RULE_FILES:
        path = directory / name
        try:
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=_OneKeyOnceLoader)
            files.append(RuleFile.parse_obj(document))
        except (OSError, yaml.YAMLError, ValueError) as error:
            raise RuleBookError(f"{path}: {error}") from error
    return RuleBook._checked(files)


@dataclass(frozen=True)
class Match:
    """One phrase or pattern of a rule found in a message, and whether the rule fired on it."""

    decision: str
    rule_id: str
    category: str
    phrase: str  # the phrase as listed, or "pattern <n>"
    text: str  # the words of the message it matched
    fired: bool
    why: str  # the condition that held or blocked it

    def as_output(self) -> dict[str, str]:
        return {"rule": self.rule_id, "category": self.category, "phrase": self.phrase}


DICTATED_MARKS = {
    "full stop": ".",
    "question mark": "?",
    "exclamation mark": "!",
    "exclamation point": "!",
    "new paragraph": ".",
}
DICTATED_PUNCTUATION = re.compile(r"\s*\b(" + "|".join(DICTATED_MARKS) + r")\b")
# An emoji ends what a chat message says before it ("back in 2016 ... a night in hospital 🏥 but
# that was 8 years ago 🙅‍♀️ my neurologist brought up botox"): each emoji character reads as a full
# stop, and the joiners and variation selectors that build one emoji as spaces.
EMOJI = re.compile("[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]")
EMOJI_GLUE = re.compile("[\u200d\ufe0e\ufe0f]")


# Scots, Shetland and Northern English spellings of common words (and the "dat" / "dis" of
# Caribbean English and Hawaiian Pidgin), read as the words they spell
# so that every rule's phrases find them ("een rolled back", "me left haand winna grip", "da
# words ir comin oot aa wrang"). Each is a whole word; "me" is "my" only before a part of the body
# or a relative ("me mam"), and so is Scots "ma" ("ma eyebrows").
DIALECT_WORDS = {
    "da": "the", "een": "eyes", "heid": "head", "haand": "hand", "haund": "hand",
    "mooth": "mouth", "oot": "out", "aa": "all", "ower": "over", "noo": "now", "winna": "won't",
    "canna": "can't", "cannae": "can't", "dinna": "don't", "dinnae": "don't", "didna": "didn't",
    "didnae": "didn't", "wisna": "wasn't", "wisnae": "wasn't", "isna": "isn't", "isnae": "isn't",
    "willnae": "won't", "wullnae": "won't", "couldna": "couldn't", "couldnae": "couldn't",
    "wis": "was", "ir": "are", "fae": "from", "wi": "with", "aboot": "about", "doon": "down",
    "meself": "myself", "babby": "baby",
    "aff": "off", "masel": "myself", "gyaan": "going", "gaun": "going", "dat": "that",
    "dis": "this", "de": "the", "dem": "them", "tae": "to", "jist": "just", "naethin": "nothing",
    # Scots "nae": "nae problem swallowin" is no problem; "she's nae breathing", "no breathing".
    "nae": "no",
    "werenae": "weren't", "werena": "weren't", "gieing": "giving", "gien": "given",
    "onythin": "anything", "ither": "other", "richt": "right", "auld": "old",
    "cannet": "can't", "nowt": "nothing", "snaw": "snow", "wen": "when", "aw": "all",
    "bein": "being", "ony": "any", "mair": "more", "nane": "none", "twa": "two", "hed": "had",
    # Scots "boak": to vomit ("boaked up dark blood").
    "boak": "vomit", "boaks": "vomits", "boaked": "vomited", "boakin": "vomiting",
    "boaking": "vomiting", "boked": "vomited", "bokin": "vomiting",
    # Caribbean English "meh" ("take me in meh sleep").
    "meh": "my",
    # The final g dropped in speech ("thinkin bout takin my own life").
    "takin": "taking", "thinkin": "thinking", "endin": "ending", "killin": "killing",
    "cuttin": "cutting", "hurtin": "hurting", "livin": "living", "wakin": "waking",
    "breathin": "breathing", "bleedin": "bleeding", "swallowin": "swallowing", "talkin": "talking",
    "feelin": "feeling", "shakin": "shaking", "slurrin": "slurring", "droopin": "drooping",
    "vomitin": "vomiting", "chokin": "choking", "collapsin": "collapsing", "spurtin": "spurting",
    "wantin": "wanting", "sweatin": "sweating", "poundin": "pounding",
    # Jamaican English "cyaan" ("mi cyaan swallow good").
    "cyaan": "can't",
    # More Scots ("bright reid blood", "a road oot o this that disna end wi me nae bein here").
    "reid": "red", "deid": "dead", "bluid": "blood", "sair": "sore", "hame": "home",
    "efter": "after", "maist": "most", "awfy": "awful", "cauld": "cold", "naw": "no",
    "disna": "doesn't", "disnae": "doesn't", "doesnae": "doesn't", "wouldna": "wouldn't",
    "wouldnae": "wouldn't", "shouldnae": "shouldn't", "hasna": "hasn't", "hasnae": "hasn't",
    "havenae": "haven't", "hivnae": "haven't", "huvnae": "haven't", "wasnae": "wasn't",
    "arenae": "aren't", "urnae": "aren't", "gonnae": "gonna", "wantae": "want to",
    "naebody": "nobody", "naewhere": "nowhere", "onybody": "anybody", "everythin": "everything",
    "somethin": "something", "nothin": "nothing", "anythin": "anything", "whit": "what",
    "whaur": "where", "ye": "you", "yersel": "yourself", "hersel": "herself",
    "hissel": "himself", "greetin": "crying", "boke": "vomit", "bokes": "vomits",
    "boking": "vomiting",
    # Not "fittin": "I'm fittin to go" is Southern US "about to", not a fit.
}  # fmt: skip
# "me da" and "yer da" are a father (Irish English), not "the"; a word joined by a hyphen is
# another word ("Wi-Fi").
DIALECT = re.compile(
    r"(?<!-)\b("
    + "|".join(
        r"(?<!me )(?<!my )(?<!yer )(?<!your )(?<!our )da" if word == "da" else word
        for word in DIALECT_WORDS
    )
    + r")\b(?!-)(?!'(?!s\b))"
)
# Kriol "dat da" / "dis da" is "that is" / "this is" ("Dat da 15 years ago"), not "that the".
COPULA_AFTER_DAT = re.compile(r"\b(dat|dis) da\b")
BODY_AFTER_ME = re.compile(
    r"\bm[ea](?= (face|head|heid|hand|haand|hands|arm|arms|leg|legs|eye|eyes|een|mouth|mooth|lips"
    r"|tongue|throat|chest|neck|vision|sight|speech|words|left|right|mam|mum|mom|ma|da|dad|nan"
    r"|gran|granda|wife|husband|man|missus|son|daughter|lad|lass|bairn|wean|kid|kids|brother"
    r"|sister|forehead|brow|brows|eyebrow|eyebrows|eyelid|eyelids|jaw|cheek|cheeks|shoulder"
    r"|shoulders|temples)\b)"
)

# Scots words that are also English words, read as Scots only where English would not put them:
# "ah" before a verb or "'ve" is "I" ("ah've stopped caring if ah wake up"); "no" before a verb or
# an adjective, or ending a clause after "or", is "not" ("i wish i could jist no exist", "whether
# ah wake up or no"); "an" before a consonant, "it" or "I" is "and" ("sick an it wis bright reid
# blood", not "an A&E nurse", "an overdose"); "o" between words is "of" ("a road oot o this");
# "am" opening a clause is "I'm" ("am no even joking"). Applied after DIALECT, on its standard
# spellings, except "ah".
SCOTS_AH = re.compile(
    r"\bah(?=['’](?:ve|m|d|ll)\b| (?:can't|cannae|canna|cannot|wis|was|dinnae|dinna|don't|didnae"
    r"|didna|didn't|just|jist|think|thought|feel|felt|want|wanted|wish|need|know|ken|have|had|hae"
    r"|huv|am|will|would|wid|could|couldnae|wake|woke|keep|kept|get|got|went|said|hope|hate|never"
    r"|really|still|even)\b)"
    # Scots "a" is "I" before a Scots negative, where English never puts "a": "a dinnae feel sad",
    # "it wouldnae matter if a wasnae here".
    r"|\ba(?= (?:dinnae|dinna|cannae|canna|wasnae|wisnae|wouldnae|widnae|couldnae|didnae|didna"
    r"|havnae|huvnae|hivnae|willnae|shouldnae)\b)"
)
SCOTS_IN_CONTEXT = (
    (
        re.compile(
            r"\bno(?= (?:exist|existing|be|being|here|there|wake|waking|well|sure|able|gonna"
            r"|joking|kidding|even|caring|bothered|fussed|want|wanting)\b)"
        ),
        "not",
    ),
    (re.compile(r"(?<=\bor )no(?=\s*(?:[.,;!?]|$))"), "not"),
    (re.compile(r"(?<=[a-z] )(?<!type )(?<!group )(?<!blood )o(?= [a-z])"), "of"),
    (
        re.compile(
            r"\ban(?= (?:it|its|it's|i|i'm|i've|i'd)\b"
            r"| (?!(?:mri|mra|nhs|x|sos|lp|ms|rn|np|nsaid|ssri|snri|hrt|md|mp|fda|sti|std|rx"
            r"|lpn|ent)\b)[bcdfgjklmnpqrstvwxyz])"
        ),
        "and",
    ),
    (
        re.compile(
            r"(?:(?<=^)|(?<=[.,;!?] )|(?<=\band )|(?<=\bbut ))am(?= (?:no|not|sick|so|just"
            r"|gonna|feeling|scared|dizzy|still|really|done|fed|tired|worried|awful)\b)"
        ),
        "i'm",
    ),
)


def _substituted(
    text: str, origins: list[int], pattern: re.Pattern[str], replacement: Any
) -> tuple[str, list[int]]:
    """`pattern.sub(replacement, text)`, keeping for each character the offset it came from."""
    out: list[str] = []
    out_origins: list[int] = []
    last = 0
    for found in pattern.finditer(text):
        new = replacement(found)
        out.append(text[last : found.start()])
        out_origins.extend(origins[last : found.start()])
        out.append(new)
        out_origins.extend(
            origins[min(found.start() + i, found.end() - 1)] for i in range(len(new))
        )
        last = found.end()
    out.append(text[last:])
    out_origins.extend(origins[last:])
    return "".join(out), out_origins


def normalised_with_origins(text: str) -> tuple[str, list[int]]:
    """CompiledRules.normalised(text), and for each of its characters (and its end) the offset in
    `text` it comes from: lower-casing can lengthen a character ("İ") and a spoken mark ("full
    stop") becomes one character, so the sentences the net scores are cut from what was typed."""
    lowered: list[str] = []
    origins: list[int] = []
    for i, char in enumerate(text):
        for low in char.lower():
            lowered.append(low)
            origins.append(i)
    normal = EMOJI_GLUE.sub(" ", EMOJI.sub(".", "".join(lowered)))
    for pattern, replacement in (
        (DICTATED_PUNCTUATION, lambda found: DICTATED_MARKS[found.group(1)]),
        (COPULA_AFTER_DAT, lambda found: DIALECT_WORDS[found.group(1)] + " is"),
        (SCOTS_AH, lambda found: "i"),
        (DIALECT, lambda found: DIALECT_WORDS[found.group(1)]),
        (BODY_AFTER_ME, lambda found: "my"),
        *((pattern, lambda found, word=word: word) for pattern, word in SCOTS_IN_CONTEXT),
    ):
        normal, origins = _substituted(normal, origins, pattern, replacement)
    return normal, [*origins, len(text)]


def message_words(doc: Any) -> frozenset[str]:
    """The words and lemmas a rule's conditions look for in a doc or a sentence, less "speaking"
    in an idiom."""
    return frozenset(
        word
        for t in doc
        if not _speaking_idiom(t.doc, t.i)
        for word in (t.lemma_.lower(), t.lower_)
    )


# "generally speaking", "strictly speaking": a way of talking, not speech.
SPEAKING_IDIOMS = frozenset(
    {"generally", "broadly", "roughly", "strictly", "technically", "medically", "honestly",
     "practically", "realistically", "comparatively", "relatively"}
)  # fmt: skip


def _speaking_idiom(doc: Any, i: int) -> bool:
    """ "Generally speaking, how long ...": no trouble speaking."""
    return doc[i].lower_ == "speaking" and i > 0 and doc[i - 1].lower_ in SPEAKING_IDIOMS


def _dropped_g(word: str) -> str | None:
    """The "-ing" word a token typed without its g stands for ("seein" is "seeing"), when the
    token is no English word and the "-ing" word is (symspellpy's bundled dictionary, the one
    typo correction uses): "pain", "begin" and "cousin" stay as they are."""
    if len(word) < 4 or not word.endswith("in") or not word.isalpha():
        return None
    english = english_words()
    return word + "g" if word not in english and word + "g" in english else None


class CompiledRules:
    """The rule book compiled once into spaCy matchers, for docs made by the project's pipeline
    from the lower-cased message (Rasa's SpacyNLP makes exactly that doc)."""

    def __init__(self, book: RuleBook, nlp: Any) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.book = book
        self.nlp = nlp
        self.matchers = {
            "lemma": PhraseMatcher(nlp.vocab, attr="LEMMA"),
            "lower": PhraseMatcher(nlp.vocab, attr="LOWER"),
        }
        self.patterns = Matcher(nlp.vocab)
        self.exceptions = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.keys: dict[str, tuple[RuleFile, Rule, str]] = {}
        phrase_keys: dict[str, list[tuple[str, str]]] = {"lemma": [], "lower": []}
        for file, rule in book.rules:
            for phrase in rule.phrases:
                key = f"{rule.id}\x1f{phrase}"
                self.keys[key] = (file, rule, phrase)
                phrase_keys[rule.match_on or file.match_on].append((key, self.normalised(phrase)))
            if rule.except_phrases:
                self.exceptions.add(
                    rule.id, list(nlp.pipe(self.normalised(p) for p in rule.except_phrases))
                )
            for number, pattern in enumerate(rule.patterns, start=1):
                key = f"{rule.id}\x1fpattern {number}"
                self.keys[key] = (file, rule, f"pattern {number}")
                self.patterns.add(key, [pattern])
        self._lemmas = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        # Phrases go through the same pipeline as messages, so their lemmas are the messages'.
        for attr, pairs in phrase_keys.items():
            docs = nlp.pipe(phrase for _, phrase in pairs)
            for (key, _), doc in zip(pairs, docs, strict=False):
                self.matchers[attr].add(key, [doc])

    @staticmethod
    def normalised(text: str) -> str:
        """Lower case, with punctuation spoken to a dictation app written as punctuation ("...
        since then full stop my migraines started...") and emoji read as full stops: the checks
        read sentence by sentence."""
        return normalised_with_origins(text)[0]

    def parse(self, text: str) -> Any:
        return self.nlp(self.normalised(text))

    def check(self, doc: Any, intent: str | None = None) -> list[Match]:
        """Every phrase or pattern found in `doc`, in router order, fired or not. A word typed
        without its final g ("seein double", "eyelids droopin") first gets the lemma of the word
        meant, so phrases matched on lemmas find it."""
        for token in doc:
            meant = _dropped_g(token.lower_)
            if meant is not None:
                token.lemma_ = self._lemmas.get(meant, meant)
        words = message_words(doc)
        raw = [*self.matchers["lemma"](doc), *self.matchers["lower"](doc), *self.patterns(doc)]
        harmless: dict[str, list[tuple[int, int]]] = {}
        for rule_id, start, end in self.exceptions(doc):
            harmless.setdefault(self.nlp.vocab.strings[rule_id], []).append((start, end))
        found = []
        # (decision, category) -> end of the sentence that placed it long ago: "I had a
        # concussion in January ... should I wait longer after a head injury?" is that story.
        told_as_past: dict[tuple[str, str], int] = {}
        for match_id, start, end in sorted(raw, key=lambda m: (m[1], m[2])):
            file, rule, phrase = self.keys[self.nlp.vocab.strings[match_id]]
            sentence = doc[start].sent
            if any(s <= end - 1 < e for s, e in harmless.get(rule.id, [])):
                fired, why = False, "blocked: a harmless use (except_phrases)"
            elif _quoted_word(doc, start, end):
                fired, why = False, "blocked: one word in quotation marks, named, not used"
            elif _said_of_a_thing(file, doc, start):
                fired, why = False, "blocked: said of a thing, an animal or a story's character"
            elif _work_talk(file, doc, end):
                fired, why = False, "blocked: the work of their job, nothing of now (work_phrases)"
            elif _studied(file, doc, start, end):
                fired, why = False, "blocked: what a course or their study covers (study_phrases)"
            elif _negated(file, doc, start) or (
                _denied_having(doc, start) and not _says_now(file, sentence)
            ):
                fired, why = False, f"blocked: negated ({doc[max(start - 3, 0) : start].text!r})"
            elif _long_ago(file, sentence):
                fired, why = False, "blocked: in the past, nothing about now (long_ago)"
                told_as_past.setdefault((file.decision, rule.category), sentence.end)
            elif _continues_the_story(file, doc, sentence):
                fired, why = False, "blocked: goes on with a story told as long ago (present_words)"
                told_as_past.setdefault((file.decision, rule.category), sentence.end)
            elif _finished_story(file, doc, sentence, start):
                fired, why = (
                    False,
                    "blocked: a story from long ago, told to its end (story_endings)",
                )
                told_as_past.setdefault((file.decision, rule.category), sentence.end)
            elif told_as_past.get(
                (file.decision, rule.category), len(doc) + 1
            ) <= sentence.start and _asks_about_the_past(file, sentence):
                fired, why = False, "blocked: a question about a story an earlier sentence told"
            elif rule.when_usual == "exempt" and _usual_for_them(file, doc, sentence):
                fired, why = False, "blocked: as it always is for them (usual_phrases)"
            elif (
                _hypothetical(file, sentence, start)
                or _written_up(file, doc, sentence)
                or _fragment_of_a_supposition(file, doc, sentence)
            ):
                fired, why = False, "blocked: supposed, read about or written up, nothing of now"
            else:
                fired, why = _conditions(file, rule, doc, start, words, intent)
            found.append((start, end, Match(
                file.decision, rule.id, rule.category, phrase, doc[start:end].text, fired, why
            )))  # fmt: skip
        matches = _crisis_words_are_crisis(found)
        return sorted(matches, key=lambda m: (FILE_ORDER[m.decision], not m.fired))

    def answers_by_name(self, doc: Any, confidence: float) -> bool:
        """The message names the treatment or a medicine the FAQ covers (a file's `named_terms`)
        and the entry selector is sure enough of its entry (`named_entry_min_confidence`)."""
        words = {t.lower_ for t in doc} | {t.lemma_.lower() for t in doc}
        return any(
            f.named_terms
            and confidence >= f.named_entry_min_confidence
            and not words.isdisjoint(f.words(f.named_terms))
            for f in self.book.files
        )

    def answers_practically(self, doc: Any, entry_key: str | None, confidence: float) -> bool:
        """The message asks something (a sentence ends with "?", starts with one of the
        file's `question_starts` words or runs on into one of its `asked_inside` phrases), the
        entry selector chose, sure enough, an entry of the personal-advice file's
        `practical_entries` (`faq/<id>`), and the message asks for no decision
        (`decision_phrases`: "should I", "do you think"; a `practical_choices` phrase such as
        "or should I get a lift" is no decision), or the entry is one of its
        `decision_entries`, whose answer is the general reply to such a request (a practical
        entry with `entry_words` only when a sentence that asks has one of them); or any entry,
        chosen with `general_question_min_confidence`, when the message asks only in general
        (_asks_in_general: the context may be personal, the question is not). A description
        alone ("my neck is tight and my head aches every evening") keeps the refusal and its
        numbers."""
        if not entry_key or "/" not in entry_key:
            return False
        entry = entry_key.split("/", 1)[1]
        text = f" {' '.join(t.lower_ for t in doc)} "

        def asks_a_decision(file: RuleFile) -> bool:
            plain = text
            for choice in file.practical_choices:
                plain = plain.replace(f" {choice} ", " ")
            return any(f" {phrase} " in plain for phrase in file.decision_phrases)

        def names_the_entry(file: RuleFile) -> bool:
            """No `entry_words` for the entry, or one of them in a sentence that asks."""
            words = file.entry_words.get(entry)
            if words is None:
                return True
            asking = [_words_text(s) for s in doc.sents if _asks(file, s) or _asks_inside(file, s)]
            return any(f" {word} " in question for question in asking for word in words)

        return any(
            f.decision == "personal_advice"
            and any(_asks(f, s) or _asks_inside(f, s) for s in doc.sents)
            and (
                (entry in f.decision_entries and confidence >= f.decision_min_confidence)
                or (
                    not asks_a_decision(f)
                    and (
                        (
                            entry in f.practical_entries
                            and confidence >= f.practical_min_confidence
                            and names_the_entry(f)
                        )
                        or (
                            confidence >= f.general_question_min_confidence
                            and _asks_in_general(f, doc)
                        )
                    )
                )
            )
            for f in self.book.files
        )

    def sentences_told_as_now(self, doc: Any, specific: bool = False) -> list[Any]:
        """The sentences the second net scores one by one (bot/safety/router.py, step 3): each
        names a sign (the emergency file's `sign_words`, not negated, said to be fine or inside a
        rule's `except_phrases`), and no check a rule's match passes places it long ago, in a
        story, a habit, a supposition, a reading or a write-up, or makes it a question about no
        one now. None when the message says nothing is happening, or the file has no
        `sign_words`. `specific`: only signs that are not `general_sign_words` count (a short
        message's lower threshold)."""
        out = []
        # A rule's harmless uses ("my dad's going to have a seizure when he hears") are harmless
        # here too.
        harmless = {i for _, start, end in self.exceptions(doc) for i in range(start, end)}
        for file in self.book.files:
            if file.decision != "emergency" or "sign_words" not in file.word_lists:
                continue
            if _says_not_happening(file, doc):
                return []
            signs = file.words(["@sign_words"])
            if specific and "general_sign_words" in file.word_lists:
                signs -= file.words(["@general_sign_words"])
            for sentence in doc.sents:
                at = [
                    t.i
                    for t in sentence
                    if t.lower_ in signs
                    and t.i not in harmless
                    and _affirmed(file, doc, t.i)
                    and not _said_of_a_thing(file, doc, t.i)
                    and not _work_talk(file, doc, t.i + 1)
                ]
                if (
                    at
                    and not _told_otherwise(file, doc, sentence, at[0])
                    and not _reports_checks_fine(file, doc, sentence, at)
                ):
                    out.append(sentence)
        return out

    def tells_usual_migraine(self, doc: Any) -> bool:
        """A sentence names a sign as how the person's migraines always are (_usual_for_them): it
        names them (the emergency file's `usual_subjects`: "Every time my migraine comes, the
        light hurts, I feel like vomiting") or compares with them (`usual_comparisons`: "Same like
        always: the pain on one side"). "Coughing every time he eats" is not a migraine's habit."""
        for file in self.book.files:
            lists = file.word_lists
            if file.decision != "emergency" or not {"sign_words", "usual_subjects"} <= set(lists):
                continue
            signs, subjects = file.words(["@sign_words"]), file.words(["@usual_subjects"])
            for sentence in doc.sents:
                words = {t.lower_ for t in sentence}
                if not words & signs:
                    continue
                named = bool(words & subjects) or _has_phrase(sentence, file.usual_comparisons)
                if named and _usual_for_them(file, doc, sentence):
                    return True
        return False

    def says_not_happening(self, doc: Any) -> bool:
        """The message says nothing is happening (the emergency file's `not_happening_phrases`)."""
        return any(
            f.decision == "emergency" and _says_not_happening(f, doc) for f in self.book.files
        )


def _reports_checks_fine(file: RuleFile, doc: Any, sentence: Any, signs_at: list[int]) -> bool:
    """The sentence's only signs are `checked_functions` ("talking, swallowing, breathing and
    vision"), it says they are fine (`checked_words`: "all fine", "no trouble") and has no
    `trouble_words` word other than in a checked phrase ("no trouble swallowing"): the checks
    after the injections, reported as passed."""
    lists = file.word_lists
    if not {"checked_functions", "checked_words", "trouble_words"} <= set(lists):
        return False
    functions = file.words(["@checked_functions"])
    if any(doc[i].lower_ not in functions for i in signs_at):
        return False
    text = _words_text(sentence)
    checked = [p for p in file.words(["@checked_words"]) if f" {p} " in text]
    if not checked:
        return False
    for phrase in checked:
        text = text.replace(f" {phrase} ", " ")
    return not set(text.split()) & file.words(["@trouble_words"])


QUOTES = frozenset({"'", '"', "\u2018", "\u2019", "\u201c", "\u201d"})


def _quoted_word(doc: Any, start: int, end: int) -> bool:
    """ "I 'collapse' on the settee after every shift": a single word in quotation marks is
    named as a way of talking, not used. Quoted speech of several words ("he keeps saying 'I
    can't breathe'") still counts."""
    return (
        end - start == 1
        and start > 0
        and end < len(doc)
        and doc[start - 1].text in QUOTES
        and doc[end].text in QUOTES
    )


def _crisis_words_are_crisis(found: list[tuple[int, int, Match]]) -> list[Match]:
    """An emergency match inside a fired crisis match that starts before it ("hoping I won't
    wake up" against "won't wake up") does not fire: the words are about wanting to die, and the
    crisis reply carries the emergency number too. "She won't wake up" stays an emergency."""
    crisis_spans = [(s, e) for s, e, m in found if m.decision == "crisis" and m.fired]
    out = []
    for start, _, match in found:
        if (
            match.decision == "emergency"
            and match.fired
            and any(s < start < e for s, e in crisis_spans)
        ):
            match = replace(match, fired=False, why="blocked: the same words fire a crisis rule")
        out.append(match)
    return out


def _answered_by(intent: str | None, intents: list[str]) -> bool:
    """`what_is_botox` also covers a retrieval intent `faq/what_is_botox`."""
    if not intent:
        return False
    return any(intent == i or intent.endswith(f"/{i}") for i in intents)


def _conditions(
    file: RuleFile, rule: Rule, doc: Any, start: int, words: frozenset[str], intent: str | None
) -> tuple[bool, str]:
    if file.negations and (rule.only_with or rule.also_with or rule.unless):
        words = _affirmed_words(file, doc)
    if rule.only_with:
        found = file.words(rule.only_with) & words
        if not found:
            return False, f"blocked: none of only_with {sorted(file.words(rule.only_with))}"
    if rule.also_with and not file.words(rule.also_with) & words:
        return False, f"blocked: none of also_with {sorted(file.words(rule.also_with))}"
    if rule.unless:
        found_unless = file.words(rule.unless) & words
        if found_unless:
            return False, f"blocked: unless word {sorted(found_unless)}"
    sentence = doc[start].sent
    if rule.sentence_with and not file.words(rule.sentence_with) & message_words(sentence):
        return False, f"blocked: none of sentence_with {sorted(file.words(rule.sentence_with))}"
    if rule.answered_by and _answered_by(intent, rule.answered_by):
        return False, f"blocked: the classifier's intent {intent!r} answers it (answered_by)"
    general = rule.general_questions != "fire" and is_general_question(file, sentence)
    # The signs may sit in a sentence of their own ("I've read about swallowing and drooping
    # eyelids ... Nothing is wrong now"; "Which symptoms mean 999? Like trouble swallowing."):
    # a question anywhere in the message is enough.
    asks = general or (rule.general_questions != "fire" and any(_asks(file, s) for s in doc.sents))
    # "... is it normal I can't swallow since yesterday?": a now word or a time outweighs it.
    if asks and _says_not_happening(file, doc) and not _about_now(file, sentence):
        return False, "blocked: a question, and the message says it is not happening"
    if general:
        if rule.general_questions == "exempt":
            return False, "blocked: a general question (no sign it is happening to someone)"
        # Who asks ("it freaked me out") is no sign when they say where they read it.
        read = _mentions_reading(file, doc)
        kinds = ["@signs_it_is_happening"] + ([] if read else ["@personal_or_now"])
        where = doc
        if rule.general_questions == "exempt_unless_sign_in_sentence":
            where = sentence
            words = words & message_words(sentence)
        signs = (file.words(kinds) & words) - _asked_how_soon(where)
        timed = "recent_units" in file.word_lists and _a_time_ago(file, where)
        if not signs and not timed:
            place = "in its sentence" if where is sentence else "anywhere"
            return False, f"blocked: a general question, and no sign {place} it is happening"
        return (
            True,
            f"fired: general question, but a sign it is happening {sorted(signs) or '(a time)'}",
        )
    why = "fired"
    if rule.only_with:
        why += f" with {sorted(file.words(rule.only_with) & words)}"
    if rule.also_with:
        why += f" and {sorted(file.words(rule.also_with) & words)}"
    return True, why


# "how many days after would that show up?", "can it come days later?": how soon, not a time.
HOW_SOON_UNITS = frozenset({"day", "days", "hour", "hours", "week", "weeks", "minute", "minutes"})
# Before a unit, these and a number make it a time ("a few days later", "two days later").
SOME = frozenset({"a", "an", "few", "couple", "several"})


def _asked_how_soon(span: Any) -> frozenset[str]:
    """The time units in `span` asked about as how soon a sign could come ("how many days
    after", "days later" with no number before it, "how fast ..., hours or weeks?"), which say
    nothing of it happening now."""
    tokens = [t for t in span if not t.is_punct]
    words = [t.lower_ for t in tokens]
    speed_asked = any(
        words[i : i + 2] in (["how", "fast"], ["how", "soon"], ["how", "quickly"])
        for i in range(len(words))
    )
    out = set()
    for i, word in enumerate(words):
        if word not in HOW_SOON_UNITS:
            continue
        asked = words[max(i - 2, 0) : i] in (["how", "many"], ["how", "long"])
        counted = i > 0 and (tokens[i - 1].like_num or words[i - 1] in SOME)
        later = words[i + 1 : i + 2] == ["later"] and not counted
        # "how fast do they show up, hours or weeks?": the choices of how soon.
        choices = speed_asked and not counted
        if asked or later or choices:
            out |= {word, tokens[i].lemma_.lower()}
    return frozenset(out)


def _affirmed_words(file: RuleFile, doc: Any) -> frozenset[str]:
    """The message's words (lemma and lower case), leaving out those right after a negation,
    those denied with "not" and "have" or "got" ("she hasn't got a temperature", "doesn't have a
    fever"), those said to be fine ("vision is totally normal") and "hot" said of a thing ("a hot
    water bottle")."""
    return frozenset(
        w for t in doc if _affirmed(file, doc, t.i) for w in (t.lemma_.lower(), t.lower_)
    )


def _affirmed(file: RuleFile, doc: Any, i: int) -> bool:
    """Word `i` is not negated, not denied with "not" and "have", not said to be fine, not the
    heat of a thing, not "speaking" in an idiom and not "talk about"."""
    return (
        not _negated(file, doc, i)
        and not _not_had(doc, i)
        and not _said_fine(doc, i)
        and not _heat_of_a_thing(doc, i)
        and not _speaking_idiom(doc, i)
        and not _talked_of(doc, i)
    )


# After a form of "talk", these make it a conversation, not speech: "she won't even talk about
# it", "talking to the nurse", "talk it over" ("talking through a mouthful of cotton" is speech).
TALKED_OF = frozenset({"about", "to", "with", "over", "it"})


def _talked_of(doc: Any, i: int) -> bool:
    """ "She won't even talk about it now without getting wound up": no trouble talking."""
    return (
        doc[i].lower_ in ("talk", "talks", "talking", "talked")
        and i + 1 < len(doc)
        and doc[i + 1].lower_ in TALKED_OF
    )


# After "hot", these make it the heat of a thing, not a fever ("a hot water bottle on my neck").
HEATED = frozenset(
    {"water", "shower", "showers", "bath", "baths", "tub", "drink", "drinks", "tea", "coffee",
     "chocolate", "pack", "compress", "towel", "flannel", "pad", "cloth", "weather", "day", "days",
     "car", "kitchen", "room", "sun", "food", "soup", "meal", "sauce", "curry", "yoga", "tap",
     "flush", "flushes", "flash", "flashes"}
)  # fmt: skip


def _heat_of_a_thing(doc: Any, i: int) -> bool:
    """ "hot" before a thing it describes ("hot water bottle", "a hot shower")."""
    return doc[i].lower_ == "hot" and i + 1 < len(doc) and doc[i + 1].lower_ in HEATED


# "vision is totally normal", "talking fine": a word said to be all right.
FINE = frozenset({"normal", "fine", "ok", "okay", "unaffected", "perfect"})


# After a word, these say it is as it always was ("talking as much as ever").
AS_EVER = (("as", "much", "as", "ever"), ("same", "as", "ever"), ("as", "well", "as", "ever"))


def _said_fine(doc: Any, i: int) -> bool:
    """One of FINE in the three words after word `i` (no punctuation, "not" or "but" between):
    "vision is totally normal and I'm eating and talking fine"; or "<word> and <word> fine"; or
    one of AS_EVER right after it ("talking as much as ever")."""
    if any(tuple(t.lower_ for t in doc[i + 1 : i + 1 + len(words)]) == words for words in AS_EVER):
        return True
    following = doc[i + 1 : i + 4]
    # "swallowing and breathing fine": two words said fine together.
    if len(following) == 3 and following[0].lower_ == "and" and following[2].lower_ in FINE:
        return True
    return _listed_before_a_stop(following, FINE, ("not", "n't", "but", "and", "or"))


def _listed_before_a_stop(tokens: Any, listed: frozenset[str], stops: tuple[str, ...]) -> bool:
    """One of `listed` among `tokens`, in order, before punctuation or one of `stops`."""
    for token in tokens:
        if token.is_punct or token.lower_ in stops:
            return False
        if token.lower_ in listed:
            return True
    return False


HAVE = frozenset({"have", "has", "had", "got", "running"})


def _not_had(doc: Any, i: int) -> bool:
    """A "not" (or "n't") and "have", "got" or "running" in the three words before word `i` (no
    punctuation between): a condition word said not to be there ("not running a temperature")."""
    before = []
    for token in reversed(doc[max(i - 3, 0) : i]):
        if token.is_punct:
            break
        before.append(token.lower_)
    return bool({"n't", "not"} & set(before)) and bool(HAVE & set(before))


# Signs that "have not" denies ("I haven't fainted since"); not "woken" or "responded": "she
# hasn't woken up" is the sign.
DENIABLE_SIGNS = frozenset({"fainted", "collapsed", "passed", "blacked", "fitted", "seized"})
# "n't" as spaCy splits "havent" and "hasnt".
NOT_WORDS = frozenset({"not", "n't", "nt"})


def _denied_having(doc: Any, start: int) -> bool:
    """Denied: "not" (or "n't") and "had", "got" or "have" right before the match, perhaps with
    "a", "an" or "any" between ("I've not had a seizure in 8 years", "I don't have any problem
    swallowing"); "she hasn't woken up" is not.
    The caller lets a now word outweigh it ("hasn't had a fit before and now she's shaking").
    Not "never": "she's never had a seizure" often tells of a first fit. A sign of
    DENIABLE_SIGNS may follow "have not" itself ("I haven't fainted since")."""
    i = start - 1
    if (
        i >= 1
        and doc[start].lower_ in DENIABLE_SIGNS
        and doc[i].lower_ in NOT_WORDS
        and doc[i - 1].lower_ in ("have", "has", "had")
    ):
        return True
    if i >= 0 and doc[i].lower_ in ("a", "an", "any"):
        i -= 1
    return (
        i >= 1 and doc[i].lower_ in ("had", "got", "have", "has") and doc[i - 1].lower_ in NOT_WORDS
    )


def _said_of_a_thing(file: RuleFile, doc: Any, start: int) -> bool:
    """A sign said of a machine, an animal or a character in a story, not a person ("the printer
    at work had a seizure", "the dog choked on a sock", "the hero collapsed"): one of the file's
    `things`, `animals` or `characters` as the subject of the sign's verb ("had a", "has",
    "went"), at most six words before that verb, with no person, conjunction or punctuation
    between, and not after a preposition ("dad was at the computer and had a seizure" and "dropping
    his phone with his left hand" still count; "the roof on the shed collapsed" is the roof's). An
    animal or a character may come right before the sign ("the dog choked", "the hero collapsed"),
    and so may a thing when the sign is told as a verb ("the server collapsed", "the stand
    collapsed"); before a noun, a thing names another ("car keys in the fridge")."""
    if "things" not in file.word_lists or "people" not in file.word_lists:
        return False
    beings = file.listed("animals", "characters")
    subjects, people = file.words(["@things"]) | beings, file.words(["@people"])
    first = doc[start].sent.start
    told_as_verb = doc[start].lower_.endswith(("ed", "ing")) or doc[start].lower_ in VERB_SIGNS
    # "had a collapsed pantograph": the sign describes the thing after it; "the caterer collapsed
    # his prices": it acts on the thing.
    after = [t.lower_ for t in doc[start + 1 : start + 3]]
    described = bool(after) and after[0] in subjects
    described = described and start > first and doc[start - 1].lower_ in DETERMINERS
    acted_on = len(after) == 2 and after[0] in DETERMINERS and after[1] in subjects
    if told_as_verb and (described or acted_on):
        return True
    verb_start = start - 1
    while verb_start >= first and (
        doc[verb_start].lower_ in VERB_PHRASE_WORDS
        # "the plans have gone and collapsed": "gone and" is part of the verb.
        or (
            verb_start > first
            and doc[verb_start].lower_ == "and"
            and doc[verb_start - 1].lower_ in GONE_AND
        )
    ):
        verb_start -= 1
    if verb_start == start - 1:
        if verb_start < first:
            return False
        before = _without_a_clitic(doc[verb_start].lower_)
        # "the awning over the porch collapsed": after a preposition, look on for the subject.
        if (before in beings or (told_as_verb and before in subjects)) and (
            _not_after_a_preposition(doc, verb_start, first)
        ):
            return True
        if not told_as_verb:
            return False
    for i in range(verb_start, max(verb_start - 6, first - 1), -1):
        token = doc[i]
        if token.is_punct or token.lower_ in people or token.lower_ in THING_BREAKS:
            return False
        # A thing before another noun names it ("the shop assistant collapsed"): only the last
        # noun of the phrase, or one before a preposition ("the printer at work"), is the subject.
        heads = i == verb_start or doc[i + 1].lower_ in PREPOSITIONS | {"of", "for", "away", "out"}
        # "the roof on the shed finally collapsed": a thing after a preposition may belong to the
        # subject before it; look on ("the man on the stand collapsed" finds no thing).
        if (
            _without_a_clitic(token.lower_) in subjects
            and heads
            and _not_after_a_preposition(doc, i, first)
        ):
            return True
    return False


def _without_a_clitic(word: str) -> str:
    """ "depot'll" as "depot": the tokenizer keeps "'ll" on a noun ("the depot'll collapse")."""
    for clitic in ("'ll", "\u2019ll", "'d", "\u2019d"):
        if word.endswith(clitic):
            return word[: -len(clitic)]
    return word


def _not_after_a_preposition(doc: Any, i: int, first: int) -> bool:
    """Whether the noun at `i` (after any determiners) starts its phrase: "the man on the stand
    collapsed" is about the man."""
    before = i - 1
    while before >= first and doc[before].lower_ in DETERMINERS:
        before -= 1
    return before < first or doc[before].lower_ not in PREPOSITIONS


# Signs that are verbs as written ("the price'll collapse"), besides words ending in -ed or -ing.
VERB_SIGNS = frozenset(
    {"collapse", "collapses", "choke", "chokes", "faint", "faints", "split", "splits"}
)

# Before "and" in a verb phrase: "(the plans) have gone and collapsed".
GONE_AND = frozenset({"gone", "went", "go", "goes"})

# The words of a sign's verb phrase back to its subject: "(the printer) had a", "has gone into a",
# "(my garden plans) done collapsed", "(my team) plumb collapsed",
# "(the toast) went off like a bomb".
VERB_PHRASE_WORDS = frozenset(
    {"a", "an", "had", "has", "have", "having", "is", "was", "'s", "went", "goes", "gone", "just",
     "completely", "totally", "literally", "basically", "kind", "sort", "of", "into", "full",
     "total", "massive", "bit", "proper", "finally", "practically", "nearly", "almost", "suddenly",
     "also", "absolutely", "actually", "really", "about", "straight", "up", "complete", "utter",
     "'ll", "will", "would", "might", "could", "apparently", "clearly", "obviously", "already",
     "done", "plumb", "rather", "off", "keeps", "kept", "keep"}
)  # fmt: skip


def _work_talk(file: RuleFile, doc: Any, end: int) -> bool:
    """Signs listed as the work of the writer's job ("I'm a paramedic, so I spend my shifts
    dealing with collapses, cardiac arrests, head injuries and the odd overdose"): one of the
    file's `work_phrases` in the sentence, the sign a plural ("injuries", not "injury"), one
    said to come now and then (`NOW_AND_THEN`: "the odd overdose") or of people in general
    (`PEOPLE_IN_GENERAL`: "people fighting for breath") that nobody is said to be
    having (no `EXPERIENCING` word just before it), and no `now_words` word or recent time."""
    phrases = file.word_lists.get("work_phrases")
    if not phrases:
        return False
    last = doc[end - 1]
    sentence = last.sent
    before = {t.lower_ for t in doc[max(sentence.start, end - 4) : end - 1]}
    return (
        (_plural(last) or bool(before & (NOW_AND_THEN | PEOPLE_IN_GENERAL)))
        and not before & EXPERIENCING
        and _has_phrase(sentence, phrases)
        and not _says_now(file, sentence)
        and not _about_now(file, sentence)
    )


STUDY_REACH = 8  # tokens from a `study_phrases` phrase to the sign it introduces
STUDY_BREAKS = frozenset({"my", "his", "her", "our", "their", "suddenly", "when", "then", "but"})


def _studied(file: RuleFile, doc: Any, start: int, end: int) -> bool:
    """A sign named as what a course or study covers: one of the file's `study_phrases` ("spent
    ages on", "all about", "revising") at most STUDY_REACH tokens before it in the sentence with
    no `EXPERIENCING` word between ("the instructor spent ages on recognizing a stroke, seizures
    and severe allergic reactions"), or a `study_after` word in the three after it ("revising
    stroke & seizure recognition"); and the sentence has no `now_words` word. A person (`people`,
    "my"), "suddenly", "when", "then" or "but" between the phrase and the sign makes it an event
    ("I was revising and suddenly I can't see")."""
    if "study_phrases" not in file.word_lists or "study_after" not in file.word_lists:
        return False
    sentence = doc[start].sent
    if _says_now(file, sentence):
        return False
    following = {t.lower_ for t in doc[end : min(end + 3, sentence.end)]}
    if following & file.words(["@study_after"]):
        return True
    words = [t.lower_ for t in doc[sentence.start : start]]
    breaks = EXPERIENCING | STUDY_BREAKS | file.words(["@people"])
    return any(
        len(words) - phrase_end <= STUDY_REACH and not set(words[phrase_end:]) & breaks
        for _, phrase_end in _phrase_spans(file.word_lists["study_phrases"], words)
    )


def _plural(token: Any) -> bool:
    return token.lower_ != token.lemma_ and token.lower_.endswith("s")


NOW_AND_THEN = frozenset({"odd", "occasional"})
# "people fighting for breath", "patients collapsing": the sign of people in general, at work.
PEOPLE_IN_GENERAL = frozenset({"people", "patients", "casualties"})
EXPERIENCING = frozenset(
    {"having", "had", "have", "has", "getting", "got", "gets", "get", "keep", "keeps", "kept",
     "suffering", "started", "starting", "more", "another", "two", "three", "several"}
)  # fmt: skip
THING_BREAKS = frozenset(
    {"and", "when", "while", "then", "but", "so", "as", "because", "after", "n"}
)
DETERMINERS = frozenset(
    {"the", "a", "an", "my", "our", "your", "his", "her", "their", "this", "that"}
)
PREPOSITIONS = frozenset(
    {"at", "on", "by", "near", "in", "from", "with", "over", "behind", "beside", "to"}
)


# After a sentence's opening "Not", these make it a denial ("Not struggling to swallow").
NOT_DENIES = frozenset({"struggling", "having", "finding"})


def _negated(file: RuleFile, doc: Any, start: int) -> bool:
    """One of the file's `negations` at most two words before the match, no punctuation between;
    across "or" / "nor", at most five ("never had weakness or trouble talking")."""
    if not file.negations:
        return False
    # "I'm not hoarse", "she isn't confused": a state denied with "be" and "not"; not an action
    # ("she isn't breathing properly" is the sign).
    if (
        start >= 2
        and doc[start - 1].lower_ in NEGATED
        and doc[start - 2].lower_ in BE_FORMS
        and not doc[start].lower_.endswith(("ing", "in"))
    ):
        return True
    # "Not struggling to swallow or breathe or anything.": a sentence that opens by denying a
    # struggle. Only before NOT_DENIES: "Not getting air in properly" is the sign.
    if (
        start >= 1
        and doc[start].lower_ in NOT_DENIES
        and doc[start - 1].lower_ == "not"
        and doc[start - 1].is_sent_start
    ):
        return True
    # "Nowt like trouble swallowing or breathing": none of those.
    if start >= 2 and [t.lower_ for t in doc[start - 2 : start]] == ["nothing", "like"]:
        return True
    listed = False
    for distance, token in enumerate(reversed(doc[max(start - 5, 0) : start]), start=1):
        if token.is_punct:
            return False
        if token.lower_ in ("or", "nor"):
            listed = True
        if token.lower_ in file.negations and (distance <= 2 or listed):
            return True
    return False


# Before a `happening_again` word, these say it did not happen again ("none since", "fine since",
# Irish "been grand since", "right as rain since", Geordie "been canny since");
# after it, these say a test was fine ("came back clear").
NOT_AGAIN = frozenset(
    {"none", "not", "never", "nothing", "no", "n't", "fine", "sorted", "well", "normal", "great",
     "good", "place", "better", "recovered", "healed", "ok", "okay", "stable", "grand", "alright",
     "rain", "canny", "champion", "braw"}
)  # fmt: skip
ALL_CLEAR = frozenset(
    {"clear", "clean", "normal", "fine", "negative", "ok", "okay", "healed", "better", "gone",
     "recovered", "resolved", "completely", "totally", "fully", "treated", "playing", "working"}
)  # fmt: skip


# After "keep", these make it holding something ("keeps an EpiPen in her bag").
HELD = frozenset({"a", "an", "the", "my", "his", "her", "their", "your", "our", "some"})
# After "keep", these and "from" make it standing in the way ("keep me from getting botox").
OBJECTS = frozenset({"me", "him", "her", "them", "us", "you"})
# "I still carry an adrenaline pen": after "still", holding something, not the sign again.
CARRIES = frozenset({"carry", "carries", "keep", "keeps", "have", "has"})
# Before "still", these make it a time of life ("whilst still sitting as a judge", "when I was still
# down the mine").
STILL_THEN = frozenset({"while", "whilst", "was", "were"})
# "the right thing to do", "the right place to ask": a choice, not "right now"; "right after
# Botox", "call 911 right away": how soon, not now.
RIGHT_CHOICE = frozenset(
    {"thing", "things", "way", "place", "person", "people", "answer", "choice", "decision", "call",
     "after", "before", "away", "move", "step", "steps", "course", "option", "options"}
)  # fmt: skip
# "can't swallow right": after these, "right" is how it works.
RIGHT_HOW = frozenset(
    {"swallow", "talk", "see", "breathe", "walk", "speak", "eat", "hear", "think", "move", "chew"}
)
STILL_LIVING = frozenset({"living", "lived", "at", "in", "working", "worked", "going"})
# "still tells the story", "still remembers it": telling or remembering it, not the sign again.
RETELLING = frozenset(
    {"tell", "tells", "remember", "remembers", "mention", "mentions", "recall", "recalls", "joke",
     "jokes", "remind", "reminds", "tease", "teases", "talk", "talks", "laugh", "laughs", "brings"}
)  # fmt: skip
# After "just", a habit or "merely", not "just now": "I just avoid them and carry my pen", "just
# something to mention".
JUST_HABITS = frozenset(
    {"avoid", "avoids", "carry", "carries", "steer", "stay", "stick", "something", "somethin"}
)  # fmt: skip
# "now I am 30", "now she is 45": an age after "now".
AGE_STARTS = (["i", "am"], ["i", "'m"], ["he", "is"], ["she", "is"])
# "must be twenty now", "he's seventy now": a number of years or an age before "now", not again
# ("having one now" is now).
TENS = frozenset({"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"})
# "must be fifteen now": how many years ago, after "be".
TEENS = frozenset(
    {"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
     "eighteen", "nineteen"}
)  # fmt: skip
# "I carry a pen since": "since" a few words after one of these is holding something ever since.
CARRIED = frozenset({"carry", "carries", "carried", "carrying"})
# "baby's in middle school now", "she's at uni now": before "now", years on from the story.
YEARS_ON = frozenset(
    {"school", "college", "uni", "university", "grown", "married", "retired", "nursery",
     "kindergarten"}
)  # fmt: skip
# "not had any problems from it since": a negation and one of these before "since" is none since.
TROUBLE = frozenset({"problems", "problem", "issues", "issue", "trouble", "bother"})

# Before the treatment, these make it being given it ("getting botox", "started the jabs").
RECEIVING = frozenset({"getting", "get", "gets", "started", "starting"})
TREATMENTS = frozenset(
    {"botox", "injections", "injection", "jabs", "jab", "shots", "treatment", "treatments"}
)
# "off meds now", "off all my tablets now": no longer taking them.
MEDICINES = frozenset(
    {"meds", "medication", "medications", "medicine", "medicines", "tablets", "pills", "drugs"}
)
# "... lost the sight ... and it came back": the sight returned, not the sign.
CAME = frozenset({"came", "come", "comes", "coming"})
LOST = frozenset({"lost", "lose", "losing"})
RETURNED = frozenset(
    {"all", "everything", "feeling", "strength", "sensation", "movement", "speech", "sight",
     "vision"}
)  # fmt: skip
WENT_OFF = frozenset({"weak", "numb", "dead", "slurred", "blurry", "blurred"})
LEARNING = frozenset({"learn", "learned", "learnt", "learning", "relearn", "relearned", "relearnt"})

# Before "back", these make it the back of the body ("my lower back", "the back").
PLACE_BEFORE = frozenset({"the", "my", "his", "her", "their", "your", "lower", "upper"})
REGAINED_THINGS = frozenset(
    {"licence", "license", "job", "confidence", "life", "strength", "sight", "vision", "speech",
     "voice", "hearing", "memory", "independence"}
)  # fmt: skip

# After "now", these look back on the event ("what I now know was a thunderclap headache").
HINDSIGHT = frozenset(
    {"know", "knows", "realise", "realize", "realised", "realized", "understand", "recognise",
     "recognize"}
)  # fmt: skip


# Next to "since", these make it well since ("been on a statin since and fine", "been fine
# since").
WELL_SINCE = frozenset(
    {"fine", "ok", "okay", "clear", "normal", "well", "healthy", "braw", "flea", "fiddle"}
)
# Said of the past event, these make a later `happening_again` word the state after it ("I had a
# mini stroke in 2016 and recovered completely, I'm on aspirin now"), until a turn ("but now ...").
RECOVERED = frozenset(
    {"recovered", "recovery", "healed", "resolved", "sorted", "fixed", "cleared", "discharged"}
)
# Before "worse", these make it the migraines getting worse ("mine": "I have chronic migraine.
# Mine got worse after ...").
MIGRAINE_WORDS = frozenset({"migraine", "migraines", "headache", "headaches", "mine"})
TURNS = frozenset({"but", "though", "although", "however", "until", "till", "yet"})
NEGATED = frozenset({"not", "n't", "never", "no"})
# Before "warning", these make it how a sign came ("without any warning"), not a leaflet's warning.
UNWARNED = frozenset({"without", "no", "any", "little"})
BE_FORMS = frozenset(
    {"am", "'m", "is", "'s", "are", "'re", "was", "were", "be", "being", "been", "ai", "ain"}
)  # "ai" of "ain't"


# Between "now" and the treatment: who is to have it ("now she's to have Botox").
TO_HAVE = frozenset({"i", "she", "he", "they", "we", "you", "to", "going", "due", "about"})


def _names_the_treatment(words: list[str], i: int) -> bool:
    """Word i is about being given the treatment, not the sign again: "does that stop me getting
    botox?", "started the jabs", "can I still have botox?", "now she's to have Botox"."""
    rest = words[i + 1 : i + 4]
    if words[i] == "now":
        ahead = words[i + 1 : i + 7]
        while ahead and ahead[0] in TO_HAVE | BE_FORMS:
            ahead = ahead[1:]
        if not ahead or ahead[0] not in RECEIVING | {"have", "having"}:
            return False
        rest = ahead[1:3]
    elif words[i] == "still" and rest and rest[0] in RECEIVING | {"have", "having"}:
        rest = rest[1:]
    elif words[i] not in RECEIVING:
        return False
    if rest and rest[0] in HELD:
        rest = rest[1:]
    return bool(rest) and rest[0] in TREATMENTS


# "getting my ears pierced", "getting her bloods done": something done to them, two words after
# "getting".
DONE_TO = frozenset(
    {"pierced", "peirced", "taken", "done", "pulled", "drawn", "stitched", "checked", "tested"}
)
# "getting a knock", "getting hit": a blow, after "getting" (with "a" or "an" between or not).
BLOWS = frozenset(
    {"knock", "bang", "hit", "blow", "bump", "whack", "smack", "kick", "clout", "tackle", "knocked",
     "tackled", "concussed", "injured", "hurt"}
)  # fmt: skip
# "getting woken up", "getting checked": care in hospital, after "getting".
CARE_GIVEN = frozenset(
    {"woken", "checked", "scanned", "stitched", "monitored", "observed", "obs", "stitches",
     "x-rayed", "xrayed", "admitted", "discharged", "tested", "fluids"}
)  # fmt: skip


# After "just a": a short time ago ("just a few minutes ago"), not "just a bump".
JUST_A_TIME = frozenset(
    {"few", "minute", "moment", "second", "sec", "min", "couple", "little", "while", "bit"}
)
# "all clear, just me migraine aura they reckoned", "just my nerves": merely, not "just now".
JUST_WHOSE = frozenset({"my", "me", "her", "his", "their", "the"})
JUST_MERELY = frozenset({"migraine", "migraines", "aura", "nerves", "anxiety", "stress"})
# Before "back a bit" / "back a while", these tell how far back a story goes.
GOES = frozenset({"going", "goes", "go", "went", "dates", "dating"})
A_WHILE = frozenset({"bit", "while", "few", "long", "good", "couple"})


def _happening_again(file: RuleFile, sentence: Any) -> bool:
    """A `happening_again` word not denied ("none since") nor after a recovery in the same
    clause, nor "since" after a `long_ago` word ("in the nine years since"), nor being given
    the treatment ("getting botox"), nor standing up ("fainted getting up too fast"), nor the state
    after ("off meds now", "lost the sight ... and it came back"); or a `recent_units` word before
    "ago" or after "last" / "past" ("2 days ago", "in the last few hours")."""
    again = file.words(["@happening_again"])
    long_ago = file.words(["@long_ago"])
    recent = file.listed("recent_units")
    words = [t.lower_ for t in sentence]
    in_past_phrase: set[int] = set()
    for phrase in file.past_phrases:
        parts = phrase.lower().split()
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts:
                in_past_phrase.update(range(i, i + len(parts)))
    recovered = False  # "recovered completely ... I'm on aspirin now": the state after it
    for i, word in enumerate(words):
        if word in RECOVERED:
            recovered = True
        elif word in TURNS:
            recovered = False
        # Three words back: "never needed it since", "fully better now".
        before = words[max(i - 3, 0) : i]
        after = words[i + 1] if i + 1 < len(words) else ""
        then = words[i + 2] if i + 2 < len(words) else ""
        after_an_age_or_time = _now_of_an_age_or_time(words, i, long_ago, recent)
        # "lost some sight before they started steroids": the treatment, not the sign.
        started_before = word == "started" and "before" in before
        hindsight = word == "now" and after in HINDSIGHT
        # "my headaches are back to my normal pattern": settled, not back.
        next_three = set(words[i + 1 : i + 4])
        settled = word == "back" and bool(next_three & (ALL_CLEAR | {"usual"}))
        # "the back of my skull", "back home": a place, not again; "back then": a time.
        # "got my licence back": something regained, not again.
        # "this is going back a bit", "goes back a good few years", "so a while back", "way
        # back": how long ago the story is.
        a_place = word == "back" and (
            after in ("of", "home", "then")
            or (i > 0 and words[i - 1] in PLACE_BEFORE | REGAINED_THINGS)
            or (i > 0 and words[i - 1] in GOES and after == "a" and then in A_WHILE)
            or (i > 0 and words[i - 1] in A_WHILE | long_ago | {"way", "time"})
        )
        # "I had a seizure, just the one / just the once": how many, not now.
        # "I just avoid them and carry my pen": a habit, not "just now"; "just something to
        # mention", "said it was just low blood pressure", "A&E said just a bump": merely ("just
        # a few minutes ago" is now).
        just_once = word == "just" and (
            after in JUST_HABITS | {"once", "one"}
            or (after == "the" and then in ("one", "once"))
            or words[max(i - 2, 0) : i] in (["it", "was"], ["that", "was"])
            or (after in ("a", "an") and then not in JUST_A_TIME)
            or (after in JUST_WHOSE and then in JUST_MERELY)
        )
        # "my face swelled right up": only "right now" is now.
        not_right_now = word == "right" and after != "now"
        # "keeps an EpiPen in her bag", "still carry an adrenaline pen": holding something, not
        # "keeps choking".
        # "kept me in for the afternoon to keep an eye": watching, not "keeps choking".
        holds = (
            word in ("keep", "keeps") and (after in HELD or (after, then) == ("an", "eye"))
        ) or (word == "still" and after in CARRIES and then in HELD)
        # "while still at school", "when I was still living in Mauritius", "when I was a teenager
        # still living on the island": a time of life.
        time_of_life = word == "still" and (
            (i > 0 and words[i - 1] in STILL_THEN)
            or (after in STILL_LIVING and not in_past_phrase.isdisjoint(range(i - 6, i)))
        )
        # "my grandad still tells the story": the story retold, not the sign again.
        retold = word == "still" and after in RETELLING
        # "would that old head injury keep me from getting botox": stand in the way, not again.
        prevents = word in ("keep", "keeps") and after in OBJECTS and then == "from"
        # "dem keep mi in hospital" (Kriol past), "dem keep me overnight", "keep me a few hours":
        # a stay in hospital, not "keeps choking".
        kept_in = (
            word in ("keep", "keeps")
            and after in OBJECTS | {"mi"}
            and (
                then in ("in", "overnight")
                or words[i + 2 : i + 4] in (["a", "night"], ["a", "few"], ["for", "a"])
            )
        )
        # "I carry a pen since": ever since, holding it, not the sign again.
        # "ever since I've carried an epinephrine pen": after it, too.
        carried_since = word == "since" and not CARRIED.isdisjoint(words[max(i - 7, 0) : i + 4])
        # "she carries a pen now", "baby's in middle school now": the state after it, years on.
        years_on_now = word == "now" and not (CARRIED | YEARS_ON).isdisjoint(
            words[max(i - 4, 0) : i]
        )
        no_trouble_since = word == "since" and _no_trouble_since(words, i)
        treated = _names_the_treatment(words, i)
        # "now he is fully well", "now totally fine": the state after it ("now he is not well" is
        # again).
        well_now = (
            word == "now" and bool(next_three & (ALL_CLEAR | {"well"})) and not next_three & NEGATED
        )
        # "but now she totally fine, 80 year old still cook pho": after it, until a turn.
        if well_now:
            recovered = True
        # "that's when my headaches started": when it began, not again.
        dated_start = word == "started" and "when" in words[max(i - 4, 0) : i]
        # "got my driving licence back years ago", "back about eight years ago": long ago, not
        # again; "ten year back": how long ago.
        back_long_ago = word == "back" and (
            ("ago" in words[i + 1 : i + 5] and not next_three & recent)
            or (i > 0 and words[i - 1] in long_ago)
        )
        # "all cleared up and I've been on tablets since": taking them since, not the sign again.
        on_medicines_since = word == "since" and "on" in before and bool(set(before) & MEDICINES)
        # "nothing since and off meds now": the state after it, not the sign.
        off_medicines = word == "now" and "off" in before and bool(set(before) & MEDICINES)
        # "lost the sight in one eye for a few minutes and it came back": what was lost returned.
        # "her arm went weak for an hour and it all came back": the strength, not the sign.
        regained = (
            word == "back"
            and i > 0
            and words[i - 1] in CAME
            and (
                bool(set(words[: i - 1]) & LOST)
                or (i > 1 and words[i - 2] in RETURNED and bool(set(words[: i - 1]) & WENT_OFF))
            )
        )
        # "had to learn to walk again", "learn to walk properly again": relearning after it, not
        # the sign again.
        relearned = word == "again" and bool(set(words[max(i - 5, 0) : i]) & LEARNING)
        # "spent a night in hospital getting woken up every two hours", "I passed out getting my
        # ears pierced": the care or the errand, not the sign.
        third = words[i + 3] if i + 3 < len(words) else ""
        cared_for = word == "getting" and (
            after in CARE_GIVEN or (after in ("my", "his", "her", "their") and third in DONE_TO)
        )
        # "I fainted getting up too fast": standing up, not "getting worse".
        stood_up = word == "getting" and after == "up"
        # "some years ago, just after Easter 2016": shortly after, not now; "turned out I was just
        # dehydrated": merely, in the past tense.
        shortly = word == "just" and (
            after in ("after", "before") or (i > 0 and words[i - 1] in ("was", "were"))
        )
        # "a week after getting a knock in the ball game": the blow that came before it.
        struck = word == "getting" and (after in BLOWS or (after in ("a", "an") and then in BLOWS))
        # "no problems in the nine years since", "off my tablets since 2013", "ever since a bad jab
        # as a little boy", "off the meds for it since forever": how long ago it was, not again.
        a_span = word == "since" and (
            (i > 0 and words[i - 1] in long_ago)
            or after == "forever"
            or _a_year(after)
            or not in_past_phrase.isdisjoint(range(i + 1, i + 7))
        )
        # "my migraines got much worse after that trip", "the migraines which got a lot worse",
        # "mine got worse after a car accident in 2016" (after "I have chronic migraine"): the
        # migraines, not the sign again.
        # "until my migraines started in my thirties": when the migraines began, likewise.
        of_the_migraines = word in ("worse", "started") and not MIGRAINE_WORDS.isdisjoint(
            words[max(i - 5, 0) : i]
        )
        # "rushed me to the ER thinking it was something worse": a fear then, not the sign again.
        feared_worse = word == "worse" and i > 0 and words[i - 1] in FEARED_WORSE
        if (
            word in again
            and not a_span
            and not just_once
            and not carried_since
            and not years_on_now
            and not on_medicines_since
            and not no_trouble_since
            and not of_the_migraines
            and not feared_worse
            and not set(before) & NOT_AGAIN
            and after not in ALL_CLEAR
            and i not in in_past_phrase
            and not after_an_age_or_time
            and not started_before
            and not shortly
            and not hindsight
            and not settled
            and not a_place
            and not not_right_now
            and not holds
            and not time_of_life
            and not retold
            and not prevents
            and not kept_in
            and not treated
            and not off_medicines
            and not dated_start
            and not back_long_ago
            and not regained
            and not relearned
            and not cared_for
            and not stood_up
            and not struck
            and not recovered
        ):
            return True
        if word in recent and (
            after == "ago" or set(words[max(i - 3, 0) : i]) & {"last", "past", "this"}
        ):
            return True
    return False


def _now_of_an_age_or_time(
    words: list[str], i: int, long_ago: frozenset[str], recent: frozenset[str]
) -> bool:
    """Word i is the "now" of an age or a time, not of the sign: "I'm 31 now", "he's 75 now",
    "now 35 and off all meds", "15 years ago now", "long time now" (Caribbean English for long
    ago), "fine for years now", "must be fifteen year now", "I'm forty-two now"; "Now I'm 28 and
    ..., does that old pregnancy stuff matter?" ("now 2 hours later" is now)."""
    if words[i] != "now":
        return False
    after = words[i + 1] if i + 1 < len(words) else ""
    then = words[i + 2] if i + 2 < len(words) else ""
    return (
        (
            words[i + 1 : i + 3] in AGE_STARTS
            and i + 3 < len(words)
            and (words[i + 3].isdigit() or words[i + 3] in TENS)
        )
        or (i > 0 and (words[i - 1].isdigit() or words[i - 1] in TENS or words[i - 1] == "ago"))
        or (i > 2 and words[i - 3] in TENS and words[i - 2] == "-")
        or (i > 1 and words[i - 1] in TEENS and words[i - 2] == "be")
        or words[max(i - 2, 0) : i] == ["long", "time"]
        or (i > 0 and words[i - 1] in ("year", "years", "yr", "yrs", "months", "decades"))
        # "few years back now"
        or (i > 1 and words[i - 1] == "back" and words[i - 2] in long_ago)
        or (after.isdigit() and then not in recent | CLOCK_WORDS)
    )


def _no_trouble_since(words: list[str], i: int) -> bool:
    """The "since" at `i` says nothing more happened: "I have not had any problems from it since
    then", "on blood thinners ever since with no more bother" (none since, however far back);
    "since then nothing", "never had another one since", "not had owt like it since"; "been on a
    statin since and fine", "every test since has been fine" (well since)."""
    return (
        _denies_trouble(words[max(i - 8, 0) : i])
        or _denies_trouble(words[i + 1 : i + 5])
        # "havent had one since", "haven't fainted since".
        or _denied_before(words[max(i - 5, 0) : i])
        or not {"nothing", "none"}.isdisjoint(words[i + 1 : i + 3])
        or (
            not {"another", "like"}.isdisjoint(words[max(i - 5, 0) : i])
            and not NEGATED.isdisjoint(words[max(i - 5, 0) : i])
        )
        # "been fine since", "fine ever since" (not "not been fine since").
        or (
            not WELL_SINCE.isdisjoint(words[max(i - 2, 0) : i])
            and NEGATED.isdisjoint(words[max(i - 4, 0) : i])
        )
        # "since was fine", "every test since has been fine" (not "since has not been").
        or (
            not WELL_SINCE.isdisjoint(words[i + 1 : i + 4])
            and NEGATED.isdisjoint(words[i + 1 : i + 4])
        )
    )


def _denies_trouble(words: list[str]) -> bool:
    """ "no more bother", "not had any problems", "without any more trouble"."""
    return not (NEGATED | {"without"}).isdisjoint(words) and not TROUBLE.isdisjoint(words)


# After a `not_happening_phrases` phrase, these make it about the past only: "nothing like that
# has happened before" (or "yet") says nothing about now.
ONLY_BEFORE = frozenset({"before", "until", "till", "til", "previously", "yet"})


def _says_not_happening(file: RuleFile, doc: Any) -> bool:
    """One of the file's `not_happening_phrases` ("not happening", "nobody here is unwell"),
    not followed by "before" or "until", nor right after a turn such as "but" ("patting her back
    but nothing's happening": the help is not working)."""
    text = _words_text(doc)
    for phrase in file.not_happening_phrases:
        needle = f" {phrase.lower()} "
        at = text.find(needle)
        while at != -1:
            after = text[at + len(needle) :].split(" ", 1)[0]
            before = text[:at].rsplit(" ", 1)[-1]
            if after not in ONLY_BEFORE and before not in TURNS:
                return True
            at = text.find(needle, at + 1)
    return False


def _asks(file: RuleFile, sentence: Any) -> bool:
    """A question: it ends with "?", starts with a question word or a supposition ("if"), or
    asks indirectly (one of the file's `indirect_questions`: "wondered if", "whether")."""
    words = _without_lead_in(file, [t.lower_ for t in sentence if not t.is_punct])
    if not words:
        return False
    starts = file.words(["@question_starts"]) | {
        w.lower() for w in file.hypothetical_starts + file.hypothetical_openers
    }
    return (
        sentence.text.rstrip().endswith("?")
        or words[0] in starts
        or _has_phrase(sentence, file.indirect_questions)
    )


def _asks_inside(file: RuleFile, sentence: Any) -> bool:
    """A question run on inside a sentence, as dictated or typed without a "?" (one of the
    file's `asked_inside` phrases: "i only get eight a month can i still get botox")."""
    return _has_phrase(sentence, file.word_lists.get("asked_inside", []))


def _asks_in_general(file: RuleFile, doc: Any) -> bool:
    """Its questions (the sentences ending with "?", or a message of one sentence that asks)
    have no word of the file's `first_person` list: "I've just started Botox ... Does Botox help
    with other kinds of headache?" asks in general; "I have myasthenia gravis, can I still have
    it?" asks about the writer."""
    if "first_person" not in file.word_lists:
        return False
    sentences = list(doc.sents)
    questions = [s for s in sentences if s.text.rstrip().endswith("?")]
    if not questions and len(sentences) == 1 and _asks(file, sentences[0]):
        questions = sentences
    first_person = file.words(["@first_person"])
    return bool(questions) and not any(
        {t.lower_ for t in question} & first_person for question in questions
    )


def _words_text(sentence: Any) -> str:
    """The words, lower case, with contractions put back together ("is n't" -> "isn't"), so
    that phrases in the rule files are written as people write them."""
    text = " ".join(t.lower_ for t in sentence if not t.is_punct).replace("\u2019", "'")
    return " " + text.replace(" n't", "n't").replace(" '", "'") + " "


def _has_phrase(sentence: Any, phrases: list[str]) -> bool:
    text = _words_text(sentence)
    return any(f" {p.lower()} " in text for p in phrases)


def _long_ago(file: RuleFile, sentence: Any) -> bool:
    """The sentence places the symptom in the past and says nothing of now."""
    lists = file.word_lists
    if "long_ago" not in lists or "happening_again" not in lists:
        return False
    past = _placed_in_the_past(file, sentence) or _dated_by_the_next(file, sentence)
    return past and not _happening_again(file, sentence)


# A clock time: "10:12", "23:05".
CLOCK_TIME = re.compile(r"(?:[01]?\d|2[0-3]):[0-5]\d")
# A date ending in a year: "14/02/2016", "3.5.2019".
DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-](\d{4})")


def _a_year(word: str) -> bool:
    """A year such as 2019 ("back in 2016", "since 2013"), also at the end of a date
    ("on 14/02/2016")."""
    if (date := DATE.fullmatch(word)) is not None:
        word = date.group(1)
    return word.isdecimal() and 1900 <= int(word) <= 2099


def _placed_in_the_past(file: RuleFile, sentence: Any) -> bool:
    tokens = {t.lower_ for t in sentence}
    return (
        bool(tokens & {"ago", "last"} and tokens & file.words(["@long_ago"]))
        or any(_a_year(t.text) for t in sentence)
        or _has_phrase(_without_moments(sentence), file.past_phrases)
        or _years_ago_said_otherwise(file, sentence)
    )


def _years_ago_said_otherwise(file: RuleFile, sentence: Any) -> bool:
    """How long ago, said with "since" or "back" after a number and a `long_ago` unit: "That
    were forty year since." (Northern English; "since" must end the clause: "twenty years since
    I had one" is not it), "ten year back", "twenty-odd years back", "a few years back" ("few",
    "some" only with "back")."""
    words = [t.lower_ for t in sentence]
    units = file.words(["@long_ago"])
    for i in range(2, len(words)):
        if words[i] not in ("since", "back") or words[i - 1] not in units:
            continue
        back = words[i] == "back"
        # "twenty-odd years back", "thirty odd year back": about that many.
        j = i - 2
        while j > 0 and words[j] in ("odd", "-"):
            j -= 1
        counted = sentence[j].like_num or words[j] in (TENS | SOME if back else TENS)
        ends = i + 1 == len(words) or sentence[i + 1].is_punct
        clause_ends = ends or words[i + 1] in ("and", "but")
        if counted and (back or clause_ends):
            return True
    return False


# "a few years back", "some years back": how many, roughly.
SOME = frozenset({"few", "several", "many", "some", "couple"})


# "when I was in the bathroom", "while she was asleep": where someone was a moment ago, not an
# age or a time of life ("when I was 12", "when she was pregnant", "when I was in school"). "Just"
# and "getting" after it say now anyway (`happening_again`).
MOMENT_AFTER_WAS = frozenset(
    {"upstairs", "downstairs", "outside", "asleep", "busy", "cooking", "making", "showering",
     "washing"}
)  # fmt: skip
ROOMS = frozenset(
    {"bathroom", "kitchen", "shower", "toilet", "loo", "garden", "bath", "bedroom", "lounge",
     "shop", "shops", "car", "garage", "hall", "phone"}
)  # fmt: skip


def _without_moments(sentence: Any) -> list[Any]:
    """The sentence's tokens without "was" / "were" before a moment ("was asleep", "was in the
    bathroom", "was on the phone"), so that "when I was in bathroom" is no past phrase."""
    tokens = list(sentence)

    def a_moment(i: int) -> bool:
        after = [t.lower_ for t in tokens[i + 1 : i + 4]]
        return bool(after) and (
            after[0] in MOMENT_AFTER_WAS
            or (after[0] in ("in", "at", "on") and bool(set(after[1:]) & ROOMS))
        )

    return [t for i, t in enumerate(tokens) if not (t.lower_ in ("was", "were") and a_moment(i))]


# "That was 2017.": a sentence starting so dates the one before it (_dated_by_the_next). A story
# told in the present tense is also dated by "That's me in 2015" (_finished_story); "It was like
# this in 2019 too" after a sign told as now is not.
DATING_STARTS = frozenset({"that", "this", "it"})
DATING_VERBS = frozenset({"was", "were", "happened"})
STORY_DATING_STARTS = DATING_STARTS - {"it"}
STORY_DATING_VERBS = DATING_VERBS | {"'s", "is"}


def _dated_by_the_next(file: RuleFile, sentence: Any) -> bool:
    """The next sentence dates this one: "... I call an ambulance, and it ends up being a bleed
    on the brain. That was 2017.", "That's 25 years ago" or "That 15 year ago" (a number right
    after)."""
    doc = sentence.doc
    if sentence.end >= len(doc):
        return False
    following = doc[sentence.end].sent
    return (
        _dates(file, following, DATING_STARTS, DATING_VERBS)
        or _dates(file, following, STORY_DATING_STARTS, STORY_DATING_VERBS, number_next=True)
        or _it_is_years_ago(file, following)
    )


# "It's more than twenty years ago now": how long ago, right after "it's".
HOW_LONG_STARTS = frozenset({"more", "over", "about", "around", "nearly", "almost", "well", "some"})


def _it_is_years_ago(file: RuleFile, sentence: Any) -> bool:
    """The sentence says how long ago after "it's" or "that was" ("It's more than twenty years
    ago now", "that was over twenty years back"), so it dates the story before it; a comparison
    ("It's like two years ago again") does not."""
    words = [t.lower_ for t in sentence]
    return any(
        words[i] in ("it", "that")
        and words[i + 1] in ("'s", "is", "was")
        and (sentence[i + 2].like_num or words[i + 2] in HOW_LONG_STARTS)
        and bool({"ago", "back"} & set(words[i + 2 : i + 7]))
        for i in range(len(words) - 2)
    ) and _placed_in_the_past(file, sentence)


def _dates(
    file: RuleFile,
    sentence: Any,
    starts: frozenset[str],
    verbs: frozenset[str],
    number_next: bool = False,
) -> bool:
    """The sentence starts with one of `starts` and one of `verbs` ("That was") and is placed long
    ago ("That was eight years ago"). `number_next`: or a number instead of the verb."""
    if len(sentence) < 2 or sentence[0].lower_ not in starts:
        return False
    second = sentence[1]
    numbered = number_next and second.like_num
    return (second.lower_ in verbs or numbered) and _placed_in_the_past(file, sentence)


def _continues_the_story(file: RuleFile, doc: Any, sentence: Any) -> bool:
    """The sentences before this one, back to one placed long ago, and this one, say nothing in
    the present (`present_words`: "is", "can't", "keeps"; `now_words`) and give no time: "Two years
    ago I had a bleed on the brain. It started with the most violent headache, I collapsed on
    the bathroom floor." A short sentence that only says how long ago ("... must be fifteen
    years...") is part of the placing. A file without `present_words` does not follow stories."""
    if "present_words" not in file.word_lists:
        return False
    present = file.words(["@present_words", "@now_words"])
    sentences = list(doc.sents)
    at = next(i for i, s in enumerate(sentences) if s.start == sentence.start)
    for earlier in reversed(sentences[: at + 1]):
        if earlier.start != sentence.start and _long_ago(file, earlier):
            return True
        if earlier.start != sentence.start and _only_how_long_ago(file, earlier):
            continue
        words = [t.lower_ for t in earlier]
        said_now = {
            t.lower_
            for i, t in enumerate(earlier)
            if not _says_recovered(doc, t.i)
            and not _past_negative(doc, t)
            and not (t.lower_ == "since" and _no_trouble_since(words, i))
        }
        if said_now & present or _a_time_ago(file, earlier, spans_count=False):
            return False
    return False


# "couldn't", "didn't", "wasn't": a past negative, told in the story, not now.
PAST_AUXILIARIES = frozenset({"could", "did", "was", "were", "would", "had"})
# "haven't had": before "n't" and "had", nothing more happened.
HAVE_FORMS = frozenset({"have", "has", "'ve"})


def _past_negative(doc: Any, token: Any) -> bool:
    """The "n't" of a past auxiliary ("I couldn't get my words out"), or of "haven't had" ("I
    healed up fine and haven't had any trouble from it since": nothing more happened; "haven't
    been right since" still says now)."""
    if token.lower_ != "n't" or token.i == 0:
        return False
    before = doc[token.i - 1].lower_
    after = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
    return before in PAST_AUXILIARIES or (before in HAVE_FORMS and after == "had")


# "maybe twelve years...": at most this many words, a number and a `long_ago` unit.
HOW_LONG_AGO_WORDS = 6


def _only_how_long_ago(file: RuleFile, sentence: Any) -> bool:
    """A short sentence that gives only how long ago, in years or months ("maybe twelve years...",
    "must be fifteen years..."), after a story placed long ago."""
    words = [t for t in sentence if not t.is_punct]
    return (
        len(words) <= HOW_LONG_AGO_WORDS
        and _a_time_ago(file, sentence, units=file.words(["@long_ago"]))
        and not _a_time_ago(file, sentence, units=file.words(["@recent_units"]))
    )


# A sentence before a sign that sets the scene on its own ("So, Christmas 2021.") is short.
SCENE_TOKENS = 8
# "Last time it turned out to be a bleed": an ending of another episode, not of this one.
OTHER_TIMES = ["last time", "that time", "every time", "each time", "again"]


def _finished_story(file: RuleFile, doc: Any, sentence: Any, start: int) -> bool:
    """A story told in the present tense, placed long ago and told to its end: "So it's
    Christmas 2021, my dad ... goes down, jerking on the floor. Turned out to be a one-off
    seizure, and he's been fine since." The sentence (or a short one just before it) is placed
    long ago (or one of the two after it says "that was eight years ago"), a later sentence (not
    about another time: "last time it turned out ...") says how it ended (`story_endings`:
    "turned out", "fine since", "scans were clear"), and the sentence itself has no `now_words`
    word and no recent time ("this morning", "an hour ago"). The
    ending's own sentence is the story too, for a match after the ending with no now word or
    turn between ("Turned out to be a one-off seizure"). A sign told after the ending is judged
    on its own."""
    if (
        not file.story_endings
        or "recent_units" not in file.word_lists
        or _recent_time(file, sentence)
    ):
        return False
    if _placed_in_the_past(file, sentence) and _ends_after(file, sentence, start):
        return True
    ending_first = _ends_before(file, sentence, start)
    if _says_now(file, sentence) and not ending_first:
        return False
    sentences = list(doc.sents)
    at = next(i for i, s in enumerate(sentences) if s.start == sentence.start)
    # The scene is set in the sentence itself or in a short one before it ("Picture it: last
    # Christmas."); "In 2019 I had a bleed. I have the same headache now" is not a story. The
    # ending's own sentence belongs to the story told in the two before it.
    before = [sentence] + [
        s
        for s in sentences[max(at - 2, 0) : at]
        if ending_first or (len(s) <= SCENE_TOKENS and s.end == sentence.start)
    ]
    after = sentences[at + 1 : at + 3]
    placed = any(_placed_in_the_past(file, s) for s in before) or any(
        _dates(file, s, STORY_DATING_STARTS, STORY_DATING_VERBS) for s in after
    )
    ended = ending_first or any(
        _has_phrase(s, file.story_endings) and not _has_phrase(s, OTHER_TIMES)
        for s in sentences[at + 1 :]
    )
    return placed and ended


def _ends_before(file: RuleFile, sentence: Any, start: int) -> bool:
    """A `story_endings` phrase before the match at `start` in its sentence, with no `now_words`
    word and no turn ("but") between them."""
    words = [t.lower_ for t in sentence[: start - sentence.start]]
    stops = file.words(["@now_words"]) | TURNS
    return any(not set(words[j:]) & stops for _, j in _phrase_spans(file.story_endings, words))


def _ends_after(file: RuleFile, sentence: Any, start: int) -> bool:
    """A `story_endings` phrase after the match at `start` in its sentence, with no turn ("but")
    between them and no `now_words` word outside the ending ("Ten years ago I had a fit after a
    car accident, since then never again": its "since" and "again" belong to the ending)."""
    words = [t.lower_ for t in sentence]
    at = start - sentence.start
    ending = {
        k
        for i, j in _phrase_spans(file.story_endings, words)
        if i > at and not set(words[at:i]) & TURNS
        for k in range(i, j)
    }
    now = file.words(["@now_words"])
    return bool(ending) and not any(w in now for i, w in enumerate(words) if i not in ending)


def _phrase_spans(phrases: list[str], words: list[str]) -> Iterator[tuple[int, int]]:
    """Where each of `phrases` occurs in `words` (lower case): (start, end)."""
    for phrase in phrases:
        parts = phrase.lower().split()
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts:
                yield i, i + len(parts)


def _recent_time(file: RuleFile, sentence: Any) -> bool:
    """A time ago in `recent_units` (_a_time_ago: "2 days", "this morning"), or one of them after
    "a" or "an" ("an hour ago"); not "last Christmas", which places a story long ago."""
    units = file.words(["@recent_units"])
    return _a_time_ago(file, sentence, units=units) or any(
        a.lower_ in ("a", "an") and unit.lower_ in units for a, unit in pairwise(sentence)
    )


def _says_recovered(doc: Any, i: int) -> bool:
    """Word `i` begins a statement that all is well after the story ("I'm completely back to
    normal now", "she's been fine ever since"): one of FINE or RECOVERED in the five words after
    it, or ends one ("fine now": in the three words before), no punctuation, "not" or "but"
    between."""
    well, stops = FINE | RECOVERED, ("not", "n't", "but")
    return _listed_before_a_stop(doc[i + 1 : i + 6], well, stops) or _listed_before_a_stop(
        reversed(doc[max(i - 3, 0) : i]), well, stops
    )


def _usual_for_them(file: RuleFile, doc: Any, sentence: Any) -> bool:
    """The sentence says this is how it always is ("my usual migraine came on suddenly", "I
    always describe my migraines as the worst pain imaginable"; `usual_phrases`) with no "but"
    and no time ("ten minutes ago") in it, unless it compares with the usual ones
    (`usual_comparisons`: "came on suddenly this morning, same as always"), and nothing in the
    message says this time is different (`changed_phrases`: "this one", "not my usual", "never
    felt"). A sudden worst-ever headache is a red flag because it is new. Only the sentence
    counts: "my usual triptan" elsewhere says nothing of the sign."""
    if not file.usual_phrases or not _has_phrase(sentence, file.usual_phrases):
        return False
    if any(t.lower_ == "but" for t in sentence):
        return False
    if _a_time_ago(file, sentence) and not _has_phrase(sentence, file.usual_comparisons):
        return False
    return not _has_phrase(doc, file.changed_phrases)


def _usual_next_to(file: RuleFile, doc: Any, sentence: Any) -> bool:
    """A neighbouring sentence, naming no sign of its own, compares with the usual ones
    (`usual_comparisons`) and says this is how it always is: the next one ("proper migraine
    today, sick as a dog, can't face the light. Same old as every month when I'm on nights.")
    or, when the sentence itself says nothing of now, the one before ("same old migraine this
    morning, comes on every time the weather swings. starts over my left eye and works back.";
    "Now my face has dropped" after it is now)."""
    if "sign_words" not in file.word_lists:
        return False
    neighbours = []
    if sentence.end < len(doc):
        neighbours.append(doc[sentence.end].sent)
    if sentence.start > 0 and not _says_now(file, sentence):
        neighbours.append(doc[sentence.start - 1].sent)
    signs = file.words(["@sign_words"])
    return any(
        not {t.lower_ for t in near} & signs
        and _has_phrase(near, file.usual_comparisons)
        and _usual_for_them(file, doc, near)
        for near in neighbours
    )


# In a question after a story from long ago, these say it is about now: "is this another one?"
ABOUT_NOW = frozenset({"this", "another"})


def _asks_about_the_past(file: RuleFile, sentence: Any) -> bool:
    """A question ("Does having a grandparent who had a stroke stop me...?", "she asked whether
    Botox can cause seizures") that says nothing of now: no `now_words` or `happening_again`
    word, no time ("2 days after") and not "this" or "another". Asked after a sentence that
    placed a symptom of the same category long ago, it is about that story."""
    words = [t.lower_ for t in sentence]
    long_ago, recent = file.words(["@long_ago"]), file.listed("recent_units")
    # "can I still get botox ... or does the head injury matter?": the treatment, not now.
    tokens = {
        word
        for i, word in enumerate(words)
        if not _names_the_treatment(words, i)
        and not _now_of_an_age_or_time(words, i, long_ago, recent)
    }
    if tokens & (file.listed("now_words", "happening_again") | ABOUT_NOW):
        return False
    return _asks(file, sentence) and not _a_time_ago(file, sentence)


# A sentence of at most this many words may finish the one before it ("... what would that look
# like. HIVES").
FRAGMENT_WORDS = 3


def _fragment_of_a_supposition(file: RuleFile, doc: Any, sentence: Any) -> bool:
    """A fragment of FRAGMENT_WORDS words or fewer, without a now word, right after a supposition
    ("If a fella ever got allergic to the Botox what would that look like. Hives"): an example of
    what is supposed. "My mum just had Botox. Hives." is not: nothing before it supposes."""
    words = [t for t in sentence if not t.is_punct]
    if len(words) > FRAGMENT_WORDS or sentence.start == 0 or _says_now(file, sentence):
        return False
    before = doc[sentence.start - 1].sent
    return _hypothetical(file, before, before.end - 1)


def _hypothetical(file: RuleFile, sentence: Any, start: int) -> bool:
    """The match at `start` is in a supposition ("if I ever had ...", "what he should do if I
    ever collapse") or in what the writer read ("the leaflet mentioned loss of bladder
    control"), and the sentence says nothing of now or of a time."""
    lists = file.word_lists
    if "now_words" not in lists or "recent_units" not in lists or "long_ago" not in lists:
        return False
    if _about_anyone(file, sentence, start) or _examples_of_a_supposition(file, sentence):
        return True
    tokens = {t.lower_ for t in sentence}
    prefix = [t.lower_ for t in sentence[: start - sentence.start] if not t.is_punct]
    before = " " + " ".join(_without_lead_in(file, prefix)) + " "
    # "as if something had burst" compares; it supposes nothing.
    before_if = before.replace(" as if ", " as ")
    # A lead-in may suppose itself in a question ("Just in case after botox my face swell, what I
    # must do?"; "just in case, I think I am having the worst headache of my life" tells of now).
    said = " " + " ".join(prefix) + " "
    supposed = any(f" {s.lower()} " in before for s in file.supposition_starts) or (
        any(f" {s.lower()} " in said for s in file.supposition_starts) and _asks(file, sentence)
    )
    supposes = supposed or (
        "hypothetical_words" in lists
        and (
            any(f" {s.lower()} " in before_if for s in file.hypothetical_starts)
            or any(before.startswith(f" {s.lower()} ") for s in file.hypothetical_openers)
        )
        and bool(tokens & file.words(["@hypothetical_words"]))
    )
    # "At 10:12, while reading a label, I lost the upper half of the vision": a clock time dates
    # what happened as they read.
    read = (
        _mentions_reading(file, sentence)
        and not _someone_else_in(file, sentence, start)
        and not any(CLOCK_TIME.fullmatch(t.text) for t in sentence)
    )
    if _says_now(file, sentence):
        return False
    # In what they read, a time is when they read it ("when I read it last night").
    # "What if, three weeks after my injections, I started having trouble breathing": a time
    # after something is part of what is supposed; only a time ago or recent is about now. A
    # plain "if" keeps it ("if I got double vision 3 hours after my injections, is that bad?").
    return read or (supposes and not _a_time_ago(file, sentence, supposed=supposed))


# At most this many words in a question of signs alone ("Face swell, itchy?").
EXAMPLES_MAX_WORDS = 6


def _tells_of_the_writer(file: RuleFile, span: Any) -> bool:
    """A `happening_to_writer` word ("my", "since") in `span` (False if the file has no such
    list)."""
    return not file.listed("happening_to_writer").isdisjoint(t.lower_ for t in span)


def _examples_of_a_supposition(file: RuleFile, sentence: Any) -> bool:
    """ "If after Botox have allergy, how to know? Face swell, itchy?": a short question of signs
    alone, with no word about the writer or now, right after a question that starts by supposing
    ("if", `supposition_starts`) or is a general question, and says nothing of now, gives
    examples of that question ("my face is swelling?" is theirs)."""
    doc = sentence.doc
    words = [t.lower_ for t in sentence if not t.is_punct]
    if sentence.start == 0 or sentence[-1].text != "?" or len(words) > EXAMPLES_MAX_WORDS:
        return False
    if not file.words(["@happening_to_writer", "@now_words"]).isdisjoint(words):
        return False
    previous = doc[sentence.start - 1].sent
    asked = " " + " ".join(_without_lead_in(file, [t.lower_ for t in previous if not t.is_punct]))
    asked += " "
    starts = (*file.hypothetical_starts, *file.supposition_starts)
    supposes = any(asked.startswith(f" {s.lower()} ") for s in starts)
    # "signs of botox allergy to watch for in general? hives?": examples of a general question,
    # unless what follows says it is happening ("hives? because my arms are covered since").
    rest = doc[sentence.end :]
    supposes = supposes or (
        is_general_question(file, previous)
        and not _says_now(file, rest)
        and not _tells_of_the_writer(file, rest)
    )
    return previous[-1].text == "?" and supposes and not _says_now(file, previous)


def _about_anyone(file: RuleFile, sentence: Any, start: int) -> bool:
    """The match is in an "if" clause about anyone at all, at most four words after "if someone"
    ("what to do if someone collapses or stops breathing"; the file's word list `anyone`), and
    the clause, from "if" to the end of the sentence, says nothing of now and gives no time: a
    now word before it ("today I did a first aid course and ... what to do if someone
    collapses") is about something else."""
    if "anyone" not in file.word_lists:
        return False
    anyone = file.words(["@anyone"])
    doc = sentence.doc
    words = [t.lower_ for t in doc[sentence.start : start]]
    for back in range(2, 7):
        at = len(words) - back
        if at < 0:
            return False
        if words[at] == "if" and words[at + 1] in anyone:
            clause = doc[sentence.start + at : sentence.end]
            return not _says_now(file, clause) and not _a_time_ago(file, clause, supposed=True)
    return False


def _told_otherwise(file: RuleFile, doc: Any, sentence: Any, start: int) -> bool:
    """The checks a rule's match passes, for a whole sentence: long ago, the story going on, as
    it always is, supposed, read about or written up, or a question with no word about now."""
    return (
        _long_ago(file, sentence)
        or _continues_the_story(file, doc, sentence)
        or _finished_story(file, doc, sentence, start)
        or _usual_for_them(file, doc, sentence)
        or _usual_next_to(file, doc, sentence)
        or _hypothetical(file, sentence, start)
        or _written_up(file, doc, sentence)
        or (_asks(file, sentence) and not _about_now(file, sentence))
        or is_general_question(file, sentence)
    )


def _written_up(file: RuleFile, doc: Any, sentence: Any) -> bool:
    """The message is about something the writer is writing (one of the file's `writing_phrases`:
    "a leaflet for our support group", "a short story", "school project") and the sentence says
    nothing of now, "suddenly" or a time: the signs are its content ("So far I've got: sudden
    worst-ever headache, face drooping..."), in whichever sentence they come."""
    if not file.writing_phrases or not _has_phrase(doc, file.writing_phrases):
        return False
    if "suddenly" in {t.lower_ for t in sentence} or _says_now(file, sentence):
        return False
    return not ("recent_units" in file.word_lists and _a_time_ago(file, sentence))


# "thinking it was something worse": "worse" after these compares, it does not worsen.
FEARED_WORSE = frozenset({"something", "anything", "summat", "owt", "somethin"})
# After "now" and a number, these (and the file's `recent_units`) make a time, not an age:
# "now 30 seconds later", "now 3 am" (_happening_again).
CLOCK_WORDS = frozenset({"second", "seconds", "sec", "secs", "min", "hr", "am", "pm", "o'clock"})
# "would I still be allowed Botox?", "just a really bad migraine": "still" after a modal or a
# pronoun, and "just" before JUST_NOT_NOW, say nothing of now; after THIS_ONE, "just" still
# does ("is this just a faint?").
STILL_AFTER = frozenset(
    {"would", "could", "can", "will", "should", "i", "you", "we", "they", "it", "that"}
)
THIS_ONE = frozenset({"this", "it", "that", "he", "she", "i", "it's", "'s"})
JUST_NOT_NOW = frozenset(
    {"a", "an", "the", "really", "mention", "nerves", "wondering", "curious", "checking",
     "asking", "general", "rumour", "rumor", "myth", "hype", "when"}
)  # fmt: skip
# "does botox help", "will the injections help": "help" after these is what a treatment does.
HELPS = frozenset(
    {"botox", "it", "injection", "injections", "jab", "jabs", "shot", "shots", "treatment", "they"}
)
# "since I live with her", "since she works nights": "since" giving a reason, not a time.
SINCE_BECAUSE = (
    frozenset({"i", "we", "you", "she", "he", "they", "it"}),
    frozenset({"live", "lives", "am", "'m", "is", "'s", "are", "'re", "work", "works", "know",
               "knows", "need", "needs", "share", "shares", "stay", "stays", "want", "wants"}),
)  # fmt: skip


def _gives_a_reason(after_since: list[str]) -> bool:
    """The two words after "since" make it a reason, not a time ("since I live with her")."""
    pronouns, verbs = SINCE_BECAUSE
    return len(after_since) == 2 and after_since[0] in pronouns and after_since[1] in verbs


# Before "again", these make it the treatment given again ("would Botox ever be given again?").
TREATED_AGAIN = frozenset(
    {"given", "botox", "injections", "injection", "jabs", "jab", "shots", "treatment", "treated",
     "injected", "dose", "round", "retreated"}
)  # fmt: skip
# Up to four words before "again", these make it the treatment given again ("would they ever give
# it to me again?").
GIVEN_AGAIN = frozenset({"give", "gave", "giving", "offer", "offered", "prescribe", "prescribed"})


def _now_words_of(sentence: Any) -> set[str]:
    """The sentence's words, lower case, less "since" giving a reason (SINCE_BECAUSE: "since I
    live with her"), "still" right after a modal or a pronoun ("would it still be from the
    botox?" asks about the cause, not about now), "help" right after one of HELPS ("does botox
    help"), "started" right after "that" or "which" ("headaches that started after a head
    injury"), "again" right after one of TREATED_AGAIN ("be given again") and "just" right before
    one of JUST_NOT_NOW (unless after "this" or "it": "is this just a faint?" is about now; "or
    just when there's a rash too?" is "only when") and "since" after a denial ("not had a seizure
    since": none since)."""
    words = [t.lower_ for t in sentence if not t.is_punct]
    out = set()
    for i, word in enumerate(words):
        if word == "still" and i > 0 and words[i - 1] in STILL_AFTER:
            continue
        if word == "since" and _gives_a_reason(words[i + 1 : i + 3]):
            continue
        # "I have not had a seizure since": none since, not now.
        if word == "since" and _denied_before(words[max(i - 5, 0) : i]):
            continue
        # "does botox help ...?": what the treatment does, not a call for help.
        if word == "help" and i > 0 and words[i - 1] in HELPS:
            continue
        # "is that an ER-right-now thing?": a kind of problem, not now.
        if (
            word == "now"
            and i > 0
            and words[i - 1] == "right"
            and words[i + 1 : i + 2] == ["thing"]
        ):
            continue
        # "what would be the right thing to do": the right choice, not "right now".
        if word == "right" and words[i + 1 : i + 2] and words[i + 1] in RIGHT_CHOICE:
            continue
        # "if someone ever can't swallow right, is that ...": right after a function is how.
        if (
            word == "right"
            and i > 0
            and words[i - 1] in RIGHT_HOW
            and words[i + 1 : i + 2] != ["now"]
        ):
            continue
        # "what should I be looking for that means go now?": the advice asked for, not now.
        if word == "now" and words[max(i - 2, 0) : i] in (["means", "go"], ["mean", "go"]):
            continue
        # "if she can't swallow or talk right?": "right" ending the sentence is how, not now.
        if word == "right" and i == len(words) - 1 and i > 0:
            continue
        # "is that right, and how many days after ...?": asking whether it is so.
        if word == "right" and i > 0 and words[i - 1] == "that" and words[i + 1 : i + 2] != ["now"]:
            continue
        # "headaches that started after a head injury": a kind of headache, not a start now.
        if word == "started" and i > 0 and words[i - 1] in ("that", "which"):
            continue
        # "would Botox ever be given again?", "would they ever give it to me again?": the treatment
        # again, not the sign.
        if word == "again" and i > 0 and words[i - 1] in TREATED_AGAIN:
            continue
        if word == "again" and not GIVEN_AGAIN.isdisjoint(words[max(i - 4, 0) : i]):
            continue
        if (
            word == "just"
            and i + 1 < len(words)
            and words[i + 1] in JUST_NOT_NOW
            and (i == 0 or words[i - 1] not in THIS_ONE)
        ):
            continue
        out.add(word)
    return out


def _has_listed_word(file: RuleFile, sentence: Any, name: str) -> bool:
    """A word of the file's word list `name` in the sentence (False if the file has no such
    list)."""
    return bool(_now_words_of(sentence) & file.listed(name))


# After a denial, these say the sign has not come back ("hasn't happened since", "haven't
# fainted since"). "stopped" and "been" are not here: "hasn't stopped since" is still going.
NONE_SINCE = HAVE | DENIABLE_SIGNS | frozenset({"happened"})


def _denied_before(words: list[str]) -> bool:
    """ "not", "n't" or "nt" (spaCy's split of "havent") right before "had", "have", "has",
    "got" or a sign of NONE_SINCE ("not had a fit since", "havent had one since")."""
    return any(
        word in NOT_WORDS and words[k + 1 : k + 2] and words[k + 1] in NONE_SINCE
        for k, word in enumerate(words)
    )


def _says_now(file: RuleFile, sentence: Any) -> bool:
    """One of the file's `now_words` ("now", "today", "since") in the sentence."""
    return _has_listed_word(file, sentence, "now_words")


def _about_now(file: RuleFile, sentence: Any) -> bool:
    """An `asked_about_now` word ("since", "yesterday") or a time ("2 days after") in the
    sentence."""
    return _has_listed_word(file, sentence, "asked_about_now") or (
        "recent_units" in file.word_lists and _a_time_ago(file, sentence)
    )


def _mentions_reading(file: RuleFile, span: Any) -> bool:
    """A `reading_words` word or a `reading_phrases` phrase in `span` (a sentence or the doc).
    "Without warning" tells how a sign came, not what they read."""
    words = {
        t.lower_
        for t in span
        if not (t.i > 0 and t.lower_ == "warning" and t.nbor(-1).lower_ in UNWARNED)
    }
    return bool(
        "reading_words" in file.word_lists and words & file.words(["@reading_words"])
    ) or _has_phrase(span, file.reading_phrases)


def _someone_else_in(file: RuleFile, sentence: Any, start: int) -> bool:
    """A `someone_now` word ("my", "dad", "suddenly") between the last reading word before the
    match and the match: "we were watching a film when my dad collapsed" is about now; "my
    neurologist mentioned trouble swallowing", "I read about loss of bladder control, it scared
    me", "she tells stories about worst headache of my life call-outs" and "watching a drama on
    my tablet, and in this episode a man collapses" are not. With the reading word only
    after the match, any `someone_now` word before it: "my mum collapsed while watching a film"
    is about now; "loss of bladder control is listed in the leaflet" is not."""
    if "someone_now" not in file.word_lists:
        return False
    words = [t.lower_ for t in sentence[: start - sentence.start] if not t.is_punct]
    reading = file.words(["@reading_words"])
    phrases = [p.lower().split() for p in file.reading_phrases]

    def reads_at(i: int) -> bool:
        return words[i] in reading or any(words[i : i + len(p)] == p for p in phrases)

    last = next((i for i in reversed(range(len(words))) if reads_at(i)), -1)
    return bool(set(words[last + 1 :]) & file.words(["@someone_now"]))


SINCE_WORDS = frozenset({"after", "ago", "since", "later", "before", "into", "post"})
# After or before something, not before now: in a supposition, part of what is supposed.
RELATIVE_WORDS = SINCE_WORDS - {"ago", "since"}


def _a_time_ago(
    file: RuleFile,
    sentence: Any,
    supposed: bool = False,
    units: frozenset[str] | None = None,
    spans_count: bool = True,
) -> bool:
    """A number before a time word ("2 days after", "3 hours"), or a recent time ("last night").
    `supposed`: in a supposition, not a time after or before something ("if, 3 weeks after my
    injections, ..."). `units`: the time words (default: `recent_units` and `long_ago`).
    `spans_count=False`: how long something lasted in a story ("in the hospital ten days", "not
    for over twenty-five years") is no time of now."""
    units = units or file.words(["@recent_units", "@long_ago"])
    long_ago = frozenset() if spans_count else file.words(["@long_ago"])
    tokens = list(sentence)
    for i, token in enumerate(tokens[:-1]):
        # "if I had a seizure one day": some day, not a time ago ("one day after" still is).
        after = tokens[i + 2].lower_ if i + 2 < len(tokens) else ""
        some_day = token.lower_ == "one" and after not in SINCE_WORDS
        relative = supposed and after in RELATIVE_WORDS
        # "if my 10 year old ever gets ...": an age, not a time.
        age = after in ("old", "olds")
        span = not spans_count and _a_span(tokens, i, after, tokens[i + 1].lower_ in long_ago)
        if (
            token.like_num
            and tokens[i + 1].lower_ in units
            and not (some_day or relative or age or span)
        ):
            return True
    words = [t.lower_ for t in tokens]
    return any(
        w in units and set(words[max(i - 3, 0) : i]) & {"last", "past", "this"}
        for i, w in enumerate(words)
    )


# Before a number and a time word, these make it a stay that lasted that long: "in the hospital
# ten days", "spent three weeks".
STAY_BEFORE = frozenset({"hospital", "spent", "lasted", "lasting"})
# Before a number and a `long_ago` unit, these make it how long: "not for over twenty-five
# years" ("for two hours" after a story is now: "My face has been drooping for two hours").
LONG_SPAN_BEFORE = frozenset({"for", "over"})
# After them, a time from something: "spent 3 days after the botox" still dates now.
SPAN_ENDS = frozenset({"ago", "after", "later", "since", "back", "now", "before"})


def _a_span(tokens: list[Any], i: int, after: str, long_unit: bool) -> bool:
    """The number at i and the time word after it say how long something lasted, not when: a
    stay (STAY_BEFORE), or years or months (`long_unit`) after LONG_SPAN_BEFORE; "twenty - five"
    is read as one number."""
    j = i - 1
    while j >= 0 and (tokens[j].like_num or tokens[j].lower_ == "-"):
        j -= 1
    if j < 0 or after in SPAN_ENDS:
        return False
    before = tokens[j].lower_
    return before in STAY_BEFORE or (long_unit and before in LONG_SPAN_BEFORE)


def _without_lead_in(file: RuleFile, words: list[str]) -> list[str]:
    """The sentence's words after a `lead_ins` phrase it starts with ("just in case, how...")."""
    for lead_in in file.lead_ins:
        parts = lead_in.lower().split()
        if words[: len(parts)] == parts:
            return words[len(parts) :]
    return words


# A sentence whose words before a colon end by saying a question follows ("Before my first Botox
# I want to know: what are the signs of an allergy?") asks what comes after the colon.
ASKING_WORDS = frozenset(
    {"know", "question", "questions", "ask", "asking", "wondering", "wonder", "curious", "query"}
)


def _asked_after_a_colon(file: RuleFile, sentence: Any) -> list[Any]:
    """The sentence's words (no punctuation), or only those after a colon when the words before it
    end with one of ASKING_WORDS and say nothing of now (no `personal_or_now` word but "I" or
    "my"), or end with one of the file's `not_happening_phrases` ("General question, not
    happening now: if someone's headache comes with a stiff neck ...")."""
    tokens = list(sentence)
    colons = [i for i, t in enumerate(tokens) if t.text == ":"]
    if colons:
        before = [t.lower_ for t in tokens[: colons[0]] if not t.is_punct]
        now = file.words(["@personal_or_now"]) - {"i", "my"}
        said = f" {' '.join(before)}"
        not_happening = any(said.endswith(f" {p.lower()}") for p in file.not_happening_phrases)
        if before and ((before[-1] in ASKING_WORDS and not set(before) & now) or not_happening):
            tokens = tokens[colons[0] + 1 :]
    return [t for t in tokens if not t.is_punct]


# "Hives? Swelling?" after a general question: at most this many words asked on their own.
LISTED_WORDS = 3


def is_general_question(file: RuleFile, sentence: Any) -> bool:
    """A sentence that starts with a question word and has no word saying it happens to someone
    (or a few words asked right after one: "Hives? Swelling?"), or one about people in general
    (`@in_general`) with no word saying it happens to the writer or someone close now
    (`@happening_to_writer`)."""
    words = _without_lead_in(file, [t.lower_ for t in _asked_after_a_colon(file, sentence)])
    tokens = set(words) & _now_words_of(sentence)
    first = words[0] if words else None
    personal = tokens & file.words(["@personal_or_now"])
    if first in file.words(["@question_starts"]) and not personal:
        return True
    # "What would an allergic reaction look like? Hives? Swelling?": a few words asked right
    # after a general question go on listing what it asks about.
    if (
        0 < len(words) <= LISTED_WORDS
        and sentence.text.rstrip().endswith("?")
        and sentence.start > 0
        and not personal
        and is_general_question(file, sentence.doc[sentence.start - 1].sent)
    ):
        return True
    lists = file.word_lists
    return bool(
        "in_general" in lists
        and "happening_to_writer" in lists
        and tokens & file.words(["@in_general"])
        and not tokens & file.words(["@happening_to_writer"])
    )


def fired(matches: list[Match]) -> dict[str, Match]:
    """The first fired match per decision."""
    out: dict[str, Match] = {}
    for match in matches:
        if match.fired and match.decision not in out:
            out[match.decision] = match
    return out
