"""Scores intent predictions against held-out labels: accuracy, macro-F1 and per-label figures."""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1 to 99) of `values`, interpolated between the two nearest ranks
    (statistics.quantiles' "inclusive" method, numpy.percentile's default); nan when empty.

    The one definition `make bench` and `make eval` report their latencies with."""
    if not values:
        return math.nan
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# What the bot does with a low-confidence message is exactly what it does with out_of_scope.
EQUIVALENT = {"nlu_fallback": "out_of_scope"}


@dataclass(frozen=True)
class LabelScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    accuracy: float
    macro_f1: float
    per_label: dict[str, LabelScore]
    total: int

    def format(self) -> str:
        lines = [f"{'label':<20} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}"]
        for label, score in sorted(self.per_label.items()):
            lines.append(
                f"{label:<20} {score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f}"
                f" {score.support:4d}"
            )
        lines.append(f"accuracy {self.accuracy:.3f}  macro-F1 {self.macro_f1:.3f}  n={self.total}")
        return "\n".join(lines)


def score(pairs: Sequence[tuple[str, str]]) -> Report:
    """`pairs` are (gold, predicted); macro-F1 averages over the gold labels."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    gold = [g for g, _ in pairs]
    predicted = [EQUIVALENT.get(p, p) for _, p in pairs]
    if not pairs:
        return Report(accuracy=0.0, macro_f1=0.0, per_label={}, total=0)
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    per_label = {
        label: LabelScore(float(p), float(r), float(f), int(n))
        for label, p, r, f, n in zip(labels, precision, recall, f1, support, strict=True)
    }
    return Report(
        accuracy=float(accuracy_score(gold, predicted)),
        macro_f1=float(sum(f1) / len(labels)),
        per_label=per_label,
        total=len(pairs),
    )


def predict_intents(model_path: Path, texts: Iterable[str]) -> list[str]:
    """Runs the trained model's NLU pipeline (in process, no server) over `texts`."""
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))

    async def parse_all() -> list[str]:
        return [(await agent.parse_message(text))["intent"]["name"] for text in texts]

    return asyncio.run(parse_all())


if __name__ == "__main__":
    from bot.config import ROOT
    from bot.nlu.data import read_examples

    parser = argparse.ArgumentParser(description="score a trained model on held-out NLU files")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "faqbot.tar.gz")
    args = parser.parse_args()
    examples = read_examples(args.files)
    guesses = predict_intents(args.model, [text for text, _ in examples])
    print(score([(gold, p) for (_, gold), p in zip(examples, guesses, strict=True)]).format())
