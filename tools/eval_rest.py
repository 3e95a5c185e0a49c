"""`make eval`: the held-out sets through the running bot over the REST channel, as a user would.

FAQ questions are scored twice: topic level (the topic of the answered entry, metadata `topic`)
and entry level (metadata `faq`), on the held-out set (tests/data/heldout/faq.yml; labels are
topics or `faq/<entry>`) and the development set (faq_entries_dev.yml, `faq/<entry>`).
`--blind PATH` (a YAML list of {text, entry, topic}; repeatable) reports the same for each blind
set, apart; `--blind-only` skips the development sets.

Starts its own action and Rasa servers (the trained model in models/) on free ports, with a fresh
database loaded from the knowledge base, so the figures never depend on leftover conversations."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import ROOT, Settings
from bot.content.knowledge import read_knowledge
from bot.nlu.data import read_examples
from bot.safety.replies import compose, load_templates
from tools.clinc import EVALUATION_SPLITS, sample_split
from tools.scoring import percentile, score

HELDOUT = ROOT / "tests" / "data" / "heldout"
CLINC_SAMPLE_SIZE = 300
KB = read_knowledge(Settings().knowledge_dir)
TOPICS = frozenset(KB.topic_ids)
TOPIC_OF = KB.topic_of()
CHITCHAT = frozenset({"greet", "goodbye", "thank", "bot_challenge", "capabilities"})


@dataclass(frozen=True)
class Answer:
    text: str
    gold: str
    topic: str
    reply: str
    seconds: float
    faq: str = ""
    topics: tuple[str, ...] = ()  # every message's topic: an emergency may carry the crisis reply

    @property
    def crisis_reply(self) -> bool:
        return self.topic == "crisis" or "crisis" in self.topics


def clinc_sample(size: int = CLINC_SAMPLE_SIZE, seed: int = 2019) -> list[str]:
    """A fixed sample of CLINC150 `test` + `oos_test` (intents this bot handles left out)."""
    import random

    pool = sample_split(Settings.from_env().clinc_path, EVALUATION_SPLITS, 10_000, seed)
    return sorted(random.Random(seed).sample([text for text, _ in pool], size))


def ask_all(
    ask: Callable[[str, str], list[dict[str, Any]]], items: list[tuple[str, str]]
) -> list[Answer]:
    answers = []
    for number, (text, gold) in enumerate(items):
        started = time.perf_counter()
        messages = ask(f"eval-{gold}-{number}", text)
        seconds = time.perf_counter() - started
        metadata = [m.get("metadata") or {} for m in messages]
        answers.append(
            Answer(
                text=text,
                gold=gold,
                topic=metadata[0].get("topic", "") if metadata else "",
                reply="\n\n".join(m.get("text", "") for m in messages),
                seconds=seconds,
                faq=metadata[0].get("faq", "") if metadata else "",
                topics=tuple(str(m.get("topic", "")) for m in metadata),
            )
        )
    return answers


def rate(answers: list[Answer], ok: Callable[[Answer], bool]) -> float:
    return sum(1 for a in answers if ok(a)) / len(answers) if answers else 0.0


@dataclass(frozen=True)
class Results:
    metrics: dict[str, float]
    report: str
    misses: list[Answer]


def gold_topic(label: str) -> str:
    """The topic of a label: a topic id, or `faq/<entry>` (the entry's topic)."""
    return TOPIC_OF.get(label[4:], label) if label.startswith("faq/") else label


def faq_scores(answers: list[Answer], prefix: str) -> tuple[dict[str, float], str]:
    """Topic-level accuracy and macro-F1 over all, entry-level over those labelled with an entry
    (scikit-learn via tools/scoring.py), and the per-topic report."""
    topic = score([(gold_topic(a.gold), a.topic) for a in answers])
    entry_answers = [a for a in answers if a.gold.startswith("faq/")]
    entry = score([(a.gold[4:], a.faq or a.topic) for a in entry_answers])
    metrics = {
        f"{prefix}_accuracy": topic.accuracy,
        f"{prefix}_macro_f1": topic.macro_f1,
        f"{prefix}_clarify_rate": rate(answers, lambda a: a.topic == "clarify"),
    }
    if entry_answers:
        metrics[f"{prefix}_entry_accuracy"] = entry.accuracy
        metrics[f"{prefix}_entry_macro_f1"] = entry.macro_f1
        metrics[f"{prefix}_entry_n"] = float(entry.total)
    return metrics, topic.format()


def read_blind(path: Path) -> list[tuple[str, str]]:
    """A blind set: a YAML list of {text, entry, topic}; labelled `faq/<entry>` (or the topic
    when an item names no entry)."""
    import yaml

    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        (str(i["text"]), f"faq/{i['entry']}" if i.get("entry") else str(i["topic"])) for i in items
    ]


def evaluate_blind(
    ask: Callable[[str, str], list[dict[str, Any]]], path: Path
) -> tuple[dict[str, float], list[Answer]]:
    """Scores and misses of one blind FAQ set; metric names carry the file's stem."""
    answers = ask_all(ask, read_blind(path))
    metrics, _ = faq_scores(answers, f"blind[{path.stem}]")
    metrics[f"blind[{path.stem}]_topic_or_safe"] = rate(answers, right_topic_or_safe)
    # #10's false-alarm budget counts in-scope questions too: an urgent reply to a question.
    metrics[f"blind[{path.stem}]_urgent_replies"] = float(
        sum(1 for a in answers if a.topic in URGENT_TOPICS)
    )
    return metrics, [a for a in answers if is_miss(a)]


SAFE_REPLIES = frozenset({"out_of_scope", "personal_advice", "clarify"})


def right_topic_or_safe(answer: Answer) -> bool:
    """The right topic; or, for a question no entry answers, a reply that says so (out of scope,
    the refusal, or a clarifying question) rather than a wrong answer."""
    if answer.topic == gold_topic(answer.gold):
        return True
    return not answer.gold.startswith("faq/") and answer.topic in SAFE_REPLIES


URGENT_TOPICS = frozenset({"emergency", "urgent_unconfirmed", "crisis"})


def evaluate_blind_safety(
    ask: Callable[[str, str], list[dict[str, Any]]], directory: Path
) -> tuple[dict[str, float], list[Answer]]:
    """A blind safety set: emergency_*.yml (must get an urgent reply), crisis.yml (the crisis
    reply, alone or after the emergency reply; the urgent-help reply also carries the crisis
    lines) and must_not_alarm.yml."""
    import yaml

    def read(pattern: str) -> list[tuple[str, str]]:
        items = []
        for file in sorted(directory.glob(pattern)):
            items += [(str(i["text"]), file.stem) for i in yaml.safe_load(file.read_text("utf-8"))]
        return items

    emergencies = ask_all(ask, read("emergency*.yml"))
    crises = ask_all(ask, read("crisis.yml"))
    calm = ask_all(ask, read("must_not_alarm.yml"))
    misses = [a for a in emergencies if a.topic not in URGENT_TOPICS]
    misses += [a for a in crises if not a.crisis_reply]
    misses += [a for a in calm if a.topic in URGENT_TOPICS]
    return {
        "blind_emergency_recall": rate(emergencies, lambda a: a.topic in URGENT_TOPICS),
        "blind_emergency_n": float(len(emergencies)),
        "blind_crisis_reply": rate(crises, lambda a: a.crisis_reply),
        "blind_crisis_lines_given": rate(
            crises, lambda a: a.crisis_reply or a.topic == "urgent_unconfirmed"
        ),
        "blind_crisis_n": float(len(crises)),
        "blind_false_alarms": rate(calm, lambda a: a.topic in URGENT_TOPICS),
        "blind_must_not_alarm_n": float(len(calm)),
    }, misses


def is_miss(answer: Answer) -> bool:
    """Wrong entry for a `faq/<entry>` label, else wrong topic."""
    if answer.gold.startswith("faq/"):
        return answer.faq != answer.gold[4:]
    return answer.topic != gold_topic(answer.gold)


def evaluate(ask: Callable[[str, str], list[dict[str, Any]]], disclaimer: str) -> Results:
    sets = {
        "in_scope": [
            (t, i) for t, i in read_examples([HELDOUT / "faq.yml"]) if gold_topic(i) in TOPICS
        ],
        "dev": read_examples([HELDOUT / "faq_entries_dev.yml"]),
        "chitchat": [(t, i) for t, i in read_examples([HELDOUT / "faq.yml"]) if i in CHITCHAT],
        "warning_sign_questions": read_examples([HELDOUT / "warning_sign_questions.yml"]),
        "near_domain": read_examples([HELDOUT / "near_domain_oos.yml"]),
        "clinc150": [(text, "out_of_scope") for text in clinc_sample()],
        "emergency": read_examples([HELDOUT / "emergency.yml"]),
        "personal_advice": read_examples([HELDOUT / "personal_advice.yml"]),
        "crisis": read_examples([HELDOUT / "crisis.yml"]),
    }
    answers = {name: ask_all(ask, items) for name, items in sets.items()}
    everything = [a for group in answers.values() for a in group]
    in_scope = answers["in_scope"]
    not_emergencies = [
        a for name, g in answers.items() if name not in ("emergency", "crisis") for a in g
    ]
    urgent_topics = ("emergency", "crisis", "urgent_unconfirmed")
    # The refusal carries the emergency numbers (review C3): they are not "a number given".
    settings = Settings.from_env()
    refusal = compose(
        "personal_advice", settings.emergency_numbers, load_templates(settings.safety_dir)
    )
    faq_answers = [a for a in everything if a.topic in TOPICS]
    in_scope_metrics, report = faq_scores(in_scope, "in_scope")
    dev_metrics, _ = faq_scores(answers["dev"], "dev")
    latencies = sorted(a.seconds for a in everything)
    metrics = {
        **in_scope_metrics,
        "clarify_rate": in_scope_metrics.pop("in_scope_clarify_rate"),
        **dev_metrics,
        "chitchat_accuracy": rate(answers["chitchat"], lambda a: a.topic == a.gold),
        "warning_sign_questions_answered_side_effects": rate(
            answers["warning_sign_questions"], lambda a: a.topic == "side_effects"
        ),
        "near_domain_rejection": rate(answers["near_domain"], lambda a: a.topic == "out_of_scope"),
        "clinc150_rejection": rate(answers["clinc150"], lambda a: a.topic == "out_of_scope"),
        "emergency_recall": rate(answers["emergency"], lambda a: a.topic == "emergency"),
        "emergency_false_alarms": float(sum(1 for a in not_emergencies if a.topic == "emergency")),
        "crisis_recall": rate(answers["crisis"], lambda a: a.crisis_reply),
        "crisis_or_urgent_reply": rate(answers["crisis"], lambda a: a.topic in urgent_topics),
        "non_urgent_given_crisis_or_urgent_reply": float(
            sum(1 for a in not_emergencies if a.topic in ("crisis", "urgent_unconfirmed"))
        ),
        "personal_advice_declined": rate(
            answers["personal_advice"], lambda a: a.topic == "personal_advice"
        ),
        "personal_advice_given_faq_or_number": float(
            sum(
                1
                for a in answers["personal_advice"]
                if a.topic in TOPICS
                or any(
                    c.isdigit() for c in a.reply.replace(disclaimer, "").replace(refusal.text, "")
                )
            )
        ),
        "disclaimer_coverage": rate(faq_answers, lambda a: disclaimer in a.reply),
        "latency_p50_ms": 1000 * statistics.median(latencies),
        "latency_p95_ms": 1000 * percentile(latencies, 95),
        "messages": float(len(everything)),
    }
    misses = [
        a
        for name, group in answers.items()
        for a in group
        if is_miss(a) and not (name in ("near_domain", "clinc150") and a.topic == "out_of_scope")
    ]
    return Results(metrics=metrics, report=report, misses=misses)


def format_results(results: Results) -> str:
    lines = ["In-scope held-out questions (per topic):", results.report, "", "Metrics:"]
    lines += [f"  {name:<46} {value:10.3f}" for name, value in results.metrics.items()]
    return "\n".join(lines)


def safety_total(sets: list[dict[str, float]]) -> dict[str, float]:
    """Counts over several blind safety sets: urgent replies to emergencies, crisis replies to
    crises, false alarms on the messages that must not alarm."""
    pairs = [
        ("emergencies_urgent_reply", "blind_emergency_recall", "blind_emergency_n"),
        ("crises_crisis_reply", "blind_crisis_reply", "blind_crisis_n"),
        ("false_alarms", "blind_false_alarms", "blind_must_not_alarm_n"),
    ]
    total = {}
    for name, rate_key, n_key in pairs:
        total[f"blind_total_{name}"] = float(round(sum(m[rate_key] * m[n_key] for m in sets)))
        total[f"blind_total_{name}_of"] = sum(m[n_key] for m in sets)
    return total


def main(argv: list[str] | None = None) -> int:
    import argparse

    import yaml

    from bot.content.knowledge import load_knowledge
    from bot.ops.serve import start_bot

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--blind",
        type=Path,
        action="append",
        default=[],
        help="a blind set: YAML list of {text, entry, topic} (repeatable)",
    )
    parser.add_argument(
        "--blind-safety",
        type=Path,
        action="append",
        default=[],
        help="a blind safety set's folder (repeatable; several also get a total)",
    )
    parser.add_argument("--blind-only", action="store_true", help="skip the development sets")
    parser.add_argument("--misses", action="store_true", help="print every miss as JSON")
    args = parser.parse_args(argv)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    disclaimer = domain["responses"]["utter_disclaimer"][0]["text"]
    blind: dict[str, float] = {}
    misses: list[Answer] = []
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'eval.db'}"
        load_knowledge(url, Settings.from_env().knowledge_dir)
        servers = start_bot(Path(workdir), url)
        try:
            results = None if args.blind_only else evaluate(servers.ask, disclaimer)
            for path in args.blind:
                metrics, missed = evaluate_blind(servers.ask, path)
                blind.update(metrics)
                misses += missed
            safety = [evaluate_blind_safety(servers.ask, d) for d in args.blind_safety]
        finally:
            servers.stop_all()
    for directory, (metrics, missed) in zip(args.blind_safety, safety, strict=True):
        label = f"[{directory}]" if len(safety) > 1 else ""
        blind.update(
            {name.replace("blind_", f"blind{label}_", 1): v for name, v in metrics.items()}
        )
        misses += missed
    if len(safety) > 1:
        blind.update(safety_total([metrics for metrics, _ in safety]))
    if results is not None:
        print(format_results(results))
        misses = results.misses + misses
    if blind:
        names = " ".join(str(p) for p in [*args.blind, *args.blind_safety])
        print(f"\nBlind sets {names} (reported apart):")
        print("\n".join(f"  {name:<46} {value:10.3f}" for name, value in blind.items()))
    if args.misses:
        for miss in misses:
            print(json.dumps({"text": miss.text, "gold": miss.gold, "got": miss.faq or miss.topic}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
