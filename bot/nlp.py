"""Builds the project's own spaCy pipeline: no downloads, just a blank English model, the
lookup lemmatizer from spacy-lookups-data and an EntityRuler of domain terms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Domain terms the EntityRuler tags. Lower-cased token sequences; one entry per way people say it.
DOMAIN_TERMS: dict[str, tuple[str, ...]] = {
    "TREATMENT": (
        "botox",
        "botex",
        "botax",
        "botux",
        "botulinum toxin",
        "botulinum toxin type a",
        "botulinum",
        "onabotulinumtoxina",
        "onabotulinum toxin a",
        "btx",
        "btx-a",
        "botox injections",
        "dysport",
        "xeomin",
    ),
    "CONDITION": (
        "migraine",
        "migraines",
        "migrane",
        "migranes",
        "chronic migraine",
        "chronic migraines",
        "episodic migraine",
        "headache",
        "headaches",
        "medication overuse headache",
        "aura",
    ),
    "BODY_AREA": (
        "head",
        "forehead",
        "brow",
        "temple",
        "temples",
        "scalp",
        "back of the head",
        "neck",
        "shoulder",
        "shoulders",
        "trapezius",
        "face",
        "eyelid",
        "eyelids",
    ),
}


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


def entity_patterns() -> list[dict[str, Any]]:
    return [
        {"label": label, "pattern": [{"LOWER": word} for word in term.split()]}
        for label, terms in DOMAIN_TERMS.items()
        for term in terms
    ]


def build_pipeline() -> Any:
    """The in-memory pipeline; imports spaCy lazily so importing this module stays cheap."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler: Any = nlp.add_pipe("entity_ruler")
    nlp.initialize()  # loads the lookup table; it also clears the ruler, so patterns come after
    lemmatizer: Any = nlp.get_pipe("lemmatizer")
    table = lemmatizer.lookups.get_table("lemma_lookup")
    for word, lemma in LEMMA_FIXES.items():
        table[word] = lemma
    ruler.add_patterns(entity_patterns())
    return nlp


def build_spacy_model(target: Path) -> Path:
    """Writes the pipeline to `target`, where Rasa's SpacyNLP loads it as `model: <path>`."""
    nlp = build_pipeline()
    nlp.meta["name"] = "en_faqbot"
    nlp.meta["version"] = "1.0.0"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target
