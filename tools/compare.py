"""Compares NLU pipeline alternatives on the held-out sets: `python -m tools.compare`.

Each variant is trained with `rasa train nlu` into var/compare/<variant>/ and scored on the
held-out topic/chitchat and near-domain out-of-scope files. The FallbackClassifier threshold is
then swept for the two best variants by replaying each message's intent ranking, so that
choice is measured too without retraining. Prints markdown tables.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bot.config import ROOT, Settings
from bot.content.knowledge import read_knowledge
from bot.nlu.data import read_examples
from tools.eval_rest import clinc_sample
from tools.scoring import EQUIVALENT, predict_intents, score

OUT_DIR = ROOT / "var" / "compare"
HELDOUT = [ROOT / "tests/data/heldout/faq.yml", ROOT / "tests/data/heldout/near_domain_oos.yml"]
FALLBACK = "nlu_fallback"
AMBIGUITY_THRESHOLD = 0.05
THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6)

Component = dict[str, Any]

WORDS: Component = {"name": "CountVectorsFeaturizer", "use_lemma": False}
LEMMAS: Component = {"name": "CountVectorsFeaturizer", "use_lemma": True}
LR: Component = {"name": "LogisticRegressionClassifier", "max_iter": 1000}
WEIGHTED_LR: Component = {
    "name": "bot.nlu.components.WeightedLogisticRegressionClassifier",
    "max_iter": 1000,
    "class_weight_power": 0.5,
    "C": 1.0,
}
# A fixed seed so DIET's numbers can be reproduced. 40 epochs: on this data each epoch takes
# 10-30 s on 2 cores, and training accuracy has levelled off by then.
DIET: Component = {
    "name": "DIETClassifier",
    "epochs": 40,
    "constrain_similarities": True,
    "entity_recognition": False,
    "random_seed": 42,
}


def char_wb(low: int, high: int) -> Component:
    return {
        "name": "CountVectorsFeaturizer",
        "analyzer": "char_wb",
        "min_ngram": low,
        "max_ngram": high,
    }


# Feature sets tried with LR first; the best one is then retried with more LR iterations.
FEATURES: dict[str, list[Component]] = {
    "words": [WORDS],
    "lemmas": [LEMMAS],
    "lemmas+char2-4": [LEMMAS, char_wb(2, 4)],
    "lemmas+char2-5": [LEMMAS, char_wb(2, 5)],
}
OTHER_VARIANTS: dict[str, list[Component]] = {
    "diet lemmas+char2-4": [LEMMAS, char_wb(2, 4), DIET],
}

# accuracy, macro-F1, in-scope accuracy, near-domain out-of-scope recall, CLINC150 rejection
Row = tuple[float, float, float, float, float]


def config_for(middle: list[Component]) -> dict[str, Any]:
    """Every variant shares the spaCy front end and the fallback, so only `middle` differs."""
    return {
        "recipe": "default.v1",
        "assistant_id": "botox-migraine-faqbot",  # else Rasa writes a random one into the file
        "language": "en",
        "pipeline": [
            {"name": "SpacyNLP", "model": "var/spacy/en_faqbot"},
            {"name": "SpacyTokenizer"},
            *middle,
            {
                "name": "FallbackClassifier",
                "threshold": 0.3,
                "ambiguity_threshold": AMBIGUITY_THRESHOLD,
            },
        ],
    }


def train(variant: str, middle: list[Component]) -> tuple[Path, float]:
    """Trains in a subprocess, as `rasa train nlu` would be run by hand; returns model, seconds.

    The training cache is disabled so that every variant pays for its whole pipeline and the
    timings are comparable (and the project's own .rasa/cache is left alone).
    """
    directory = OUT_DIR / variant.replace(" ", "_")
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "config.yml"
    config.write_text(yaml.safe_dump(config_for(middle), sort_keys=False), encoding="utf-8")
    command = [
        str(ROOT / ".venv/bin/rasa"),
        "train",
        "nlu",
        "-c",
        str(config),
        "--nlu",
        "data/nlu",
        "--out",
        str(directory),
        "--fixed-model-name",
        "model",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_MAX_CACHE_SIZE": "0"}
    started = time.monotonic()
    with (directory / "train.log").open("w", encoding="utf-8") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    seconds = time.monotonic() - started
    print(f"trained {variant} in {seconds:.0f}s", file=sys.stderr, flush=True)
    return directory / "model.tar.gz", seconds


def measure(gold: list[str], predicted: list[str], topics: set[str], clinc: int) -> Row:
    """The last `clinc` messages are the CLINC150 sample, scored as rejection only; in-scope
    accuracy covers the topic intents: the answers the bot exists to give."""
    own = list(zip(gold[:-clinc], predicted[:-clinc], strict=True))
    report = score(own)
    in_scope = [g == p for g, p in own if g in topics]
    rejected = [EQUIVALENT.get(p, p) == "out_of_scope" for p in predicted[-clinc:]]
    return (
        report.accuracy,
        report.macro_f1,
        sum(in_scope) / len(in_scope),
        report.per_label["out_of_scope"].recall,
        sum(rejected) / len(rejected),
    )


def parse_all(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(run())


def intent_at(parse: dict[str, Any], threshold: float) -> str:
    """The intent FallbackClassifier would give at `threshold` (same ambiguity rule).

    The trained fallback may already have put nlu_fallback on top; without it the ranking is
    the classifier's own, so any threshold can be replayed from it.
    """
    ranking = [r for r in parse["intent_ranking"] if r["name"] != FALLBACK]
    top = ranking[0]["confidence"]
    runner_up = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top < threshold or top - runner_up < AMBIGUITY_THRESHOLD:
        return FALLBACK
    return str(ranking[0]["name"])


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def figures(row: Row) -> list[str]:
    return [f"{value:.3f}" for value in row]


def main() -> None:
    from rasa.utils.log_utils import configure_structlog

    # Unconfigured, Rasa's structured logs print every parse to stdout, which holds the tables.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    configure_structlog(logging.WARNING)
    examples = read_examples(HELDOUT)
    clinc = clinc_sample()
    texts = [text for text, _ in examples] + clinc
    gold = [intent for _, intent in examples] + ["out_of_scope"] * len(clinc)
    topics = set(read_knowledge(Settings.from_env().knowledge_dir).topic_ids)
    results: dict[str, tuple[Path, float, Row]] = {}

    def run(variant: str, middle: list[Component]) -> None:
        model, seconds = train(variant, middle)
        predicted = predict_intents(model, texts)
        results[variant] = model, seconds, measure(gold, predicted, topics, len(clinc))

    def macro_f1(variant: str) -> float:
        return results[variant][2][1]

    for name, features in FEATURES.items():
        run(f"lr {name}", [*features, LR])
    best_features = max(FEATURES, key=lambda name: macro_f1(f"lr {name}"))
    run(f"weighted lr {best_features}", [*FEATURES[best_features], WEIGHTED_LR])
    # The shipped pipeline: word bigrams as well (README, "second round").
    lemma_bigrams = {**LEMMAS, "max_ngram": 2}
    run("weighted lr lemma1-2+char2-5", [lemma_bigrams, char_wb(2, 5), WEIGHTED_LR])
    for variant, middle in OTHER_VARIANTS.items():
        run(variant, middle)

    header = [
        "variant", "train s", "accuracy", "macro-F1", "in-scope acc", "near-domain OOS recall",
        "CLINC150 rejection",
    ]  # fmt: skip
    print(f"## Variants (n={len(examples)} + {len(clinc)} CLINC150, fallback threshold 0.3)\n")
    print(table(header, [[v, f"{s:.0f}", *figures(row)] for v, (_, s, row) in results.items()]))

    sweep: list[list[str]] = []
    for variant in sorted(results, key=macro_f1, reverse=True)[:2]:
        parses = parse_all(results[variant][0], texts)
        for threshold in THRESHOLDS:
            predicted = [intent_at(parse, threshold) for parse in parses]
            row = measure(gold, predicted, topics, len(clinc))
            sweep.append([variant, f"{threshold:.1f}", *figures(row)])
    print(
        f"\n## FallbackClassifier threshold, two best variants (ambiguity {AMBIGUITY_THRESHOLD})\n"
    )
    print(table(["variant", "threshold", *header[2:]], sweep))


if __name__ == "__main__":
    main()
