"""Builds the project's own spaCy pipeline: no downloads, just a blank English model, the
lookup lemmatizer from spacy-lookups-data and a sentencizer that also ends a sentence at an
ellipsis or a slash between spaces ("a long time ago... i had a bad reaction... it's all fine now":
three sentences, so the safety checks read the reaction as part of the old story)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Written ellipses, as the tokenizer splits them off, and a slash between spaces ("3 yrs ago i had
# a reaction / been fine since"): people who type them use them as full stops. A slash inside a
# word ("and/or", "24/7") stays part of it.
SENTENCE_ENDS = ("..", "...", "....", ".....", "......", "\u2026", "/")

# The lookup table has no part of speech, so it lemmatises some common words as nouns ("does" ->
# "doe") or oddly ("worse" -> "wrong", "worst" -> "bad", which would make "worst headache" look like
# "bad headache"); these fixes are saved into the pipeline's own table.
LEMMA_FIXES: dict[str, str] = {
    "does": "do",
    "Does": "do",
    "doing": "do",
    "worse": "worse",
    "worst": "worst",
    "lasts": "last",
    "lasting": "last",
    "injections": "injection",
    "shots": "shot",
    "cost": "cost",
    "costs": "cost",
}


def build_pipeline() -> Any:
    """The in-memory pipeline; imports spaCy lazily so importing this module stays cheap."""
    import spacy
    from spacy.pipeline.sentencizer import Sentencizer

    nlp = spacy.blank("en")
    nlp.add_pipe(
        "sentencizer",
        config={"punct_chars": sorted(set(Sentencizer.default_punct_chars) | set(SENTENCE_ENDS))},
    )
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup table
    lemmatizer: Any = nlp.get_pipe("lemmatizer")
    table = lemmatizer.lookups.get_table("lemma_lookup")
    for word, lemma in LEMMA_FIXES.items():
        table[word] = lemma
    return nlp


def build_spacy_model(target: Path) -> Path:
    """Writes the pipeline to `target`, where Rasa's SpacyNLP loads it as `model: <path>`."""
    nlp = build_pipeline()
    nlp.meta["name"] = "en_faqbot"
    nlp.meta["version"] = "1.0.0"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target
