"""Scores intent predictions against held-out labels: accuracy, macro-F1 and per-label figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

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
    pairs = [(gold, EQUIVALENT.get(predicted, predicted)) for gold, predicted in pairs]
    labels = sorted({gold for gold, _ in pairs})
    per_label: dict[str, LabelScore] = {}
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        predicted = sum(1 for _, p in pairs if p == label)
        support = sum(1 for g, _ in pairs if g == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = LabelScore(precision, recall, f1, support)
    correct = sum(1 for g, p in pairs if g == p)
    return Report(
        accuracy=correct / len(pairs) if pairs else 0.0,
        macro_f1=sum(s.f1 for s in per_label.values()) / len(labels) if labels else 0.0,
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
