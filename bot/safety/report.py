"""`faqbot safety show` and `faqbot safety explain`: the rule files as a table a clinician can
review, and which rule fires on a message and why."""

from __future__ import annotations

import html
from typing import Any

from bot.safety.router import ORDER, route
from bot.safety.rules import CompiledRules, Rule, RuleBook, RuleFile

COLUMNS = ("decision", "id", "category", "description", "phrases", "patterns", "conditions",
           "source", "must match", "must not match")  # fmt: skip


def _conditions(file: RuleFile, rule: Rule) -> str:
    parts = []
    if rule.only_with:
        parts.append("only with: " + ", ".join(sorted(file.words(rule.only_with))))
    if rule.also_with:
        parts.append("and with: " + ", ".join(sorted(file.words(rule.also_with))))
    if rule.unless:
        parts.append("unless: " + ", ".join(sorted(file.words(rule.unless))))
    if rule.sentence_with:
        parts.append("in its sentence: " + ", ".join(sorted(file.words(rule.sentence_with))))
    if rule.answered_by:
        parts.append("not when the classifier says: " + ", ".join(rule.answered_by))
    if rule.except_phrases:
        parts.append("not in: " + ", ".join(rule.except_phrases))
    if rule.general_questions != "fire":
        parts.append(f"general questions: {rule.general_questions}")
    if rule.when_usual == "exempt" and file.usual_phrases:
        parts.append(
            "not in a sentence saying it is usual for them: "
            + ", ".join(file.usual_phrases)
            + "; a time undoes it, except with: "
            + ", ".join(file.usual_comparisons)
            + "; unless the message says: "
            + ", ".join(file.changed_phrases)
        )
    if file.negations:
        parts.append("not right after: " + ", ".join(file.negations))
    if (
        file.past_phrases
        or file.hypothetical_starts
        or file.hypothetical_openers
        or file.supposition_starts
    ):
        parts.append("not in a sentence about the past, a supposition or reading (long_ago)")
    if file.writing_phrases:
        parts.append("not in a leaflet, story or project being written (writing_phrases)")
    parts.append(f"matched on: {rule.match_on or file.match_on}")
    return "; ".join(parts)


def rows(book: RuleBook) -> list[dict[str, str]]:
    out = []
    for file, rule in book.rules:
        out.append(
            {
                "decision": file.decision,
                "id": rule.id,
                "category": rule.category,
                "description": rule.description,
                "phrases": " | ".join(rule.phrases),
                "patterns": " | ".join(str(p) for p in rule.patterns),
                "conditions": _conditions(file, rule),
                "source": f"{rule.source.name} ({rule.source.url})",
                "must match": " | ".join(rule.must_match),
                "must not match": " | ".join(rule.must_not_match),
            }
        )
    return out


def counts(book: RuleBook) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for file, rule in book.rules:
        out[(file.decision, rule.category)] = out.get((file.decision, rule.category), 0) + 1
    return out


def practical(book: RuleBook) -> str:
    """The personal-advice file's practical entries, the one data list that turns a refusal into
    an answer (bot/safety/router.py, step 6)."""
    for file in book.files:
        if file.practical_entries:
            return (
                "The classifier's personal advice gives way to these entries, chosen with at "
                f"least {file.practical_min_confidence} confidence, when no personal-advice rule "
                "fired and the message asks something (a sentence ends with ? or starts with: "
                + ", ".join(file.word_lists.get("question_starts", []))
                + ") and has none of the decision phrases. Entries: "
                + ", ".join(file.practical_entries)
                + "".join(
                    f". {entry} only with one of: {', '.join(words)}"
                    for entry, words in file.entry_words.items()
                )
                + ". Decision phrases: "
                + ", ".join(file.decision_phrases)
                + " (except inside these practical choices: "
                + ", ".join(file.practical_choices or ["none"])
                + ")"
                + ". These entries answer even with a decision phrase, chosen with at least "
                + f"{file.decision_min_confidence} confidence: "
                + ", ".join(file.decision_entries or ["none"])
                + ". Any entry answers, chosen with at least "
                + f"{file.general_question_min_confidence} confidence, when no decision phrase "
                + "is in the message and no question sentence has one of these words: "
                + ", ".join(file.word_lists.get("first_person", []) or ["(none listed)"])
                + "."
            )
    return ""


def named(book: RuleBook) -> str:
    """The off-topic file's `named_terms`: the words that let the entry selector answer what
    the classifier alone sent out of scope (bot/safety/router.py, step 6)."""
    for file in book.files:
        if file.named_terms:
            return (
                "The classifier's out of scope, or its unsure fallback, gives way to the entry "
                f"the selector chose with at least {file.named_entry_min_confidence} confidence "
                "when no off-topic rule fired and the message names one of these: "
                + ", ".join(sorted(file.words(file.named_terms)))
            )
    return ""


def sign_words(book: RuleBook) -> str:
    """The emergency file's `sign_words`: which sentences of a long post the second net scores
    on its own, and which messages it judges at a lower or higher threshold (router.py, step 3)."""
    for file in book.files:
        if file.decision == "emergency" and "sign_words" in file.word_lists:
            general = file.word_lists.get("general_sign_words", [])
            return (
                "In a long message nothing else fired on, the second net also scores on its own "
                "each sentence naming one of these signs that the rules' checks let through: "
                + ", ".join(file.word_lists["sign_words"])
                + ". A shorter message naming one of them, other than "
                + ", ".join(general)
                + ", needs a lower score; a message naming none of them, a higher one "
                "(config.yml: sign_threshold, no_sign_threshold)"
            )
    return ""


def show(book: RuleBook, fmt: str = "markdown") -> str:
    table = rows(book)
    order = "Order: " + " > ".join(ORDER)
    for more in (sign_words(book), practical(book), named(book)):
        if more:
            order += ". " + more
    if fmt == "html":
        head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(r[c])}</td>" for c in COLUMNS) + "</tr>"
            for r in table
        )
        return (
            "<!doctype html><meta charset='utf-8'><title>Safety rules</title>"
            f"<p>{html.escape(order)}</p><table border='1'><tr>{head}</tr>{body}</table>"
        )
    lines = [order, "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in table:
        lines.append("| " + " | ".join(r[c].replace("|", "\\|") for c in COLUMNS) + " |")
    lines += ["", "| decision | category | rules |", "|---|---|---|"]
    lines += [f"| {d} | {c} | {n} |" for (d, c), n in counts(book).items()]
    return "\n".join(lines)


def explain(rules: CompiledRules, text: str, intent: str | None = None) -> str:
    doc = rules.parse(text)
    matches = rules.check(doc, intent)
    lines = [f"message: {text!r}"]
    if not matches:
        lines.append("no rule's phrase or pattern is in the message")
    for m in matches:
        lines.append(
            f"  {m.decision:<15} {m.rule_id} ({m.category}): "
            f"{m.phrase!r} matched {m.text!r}: {m.why}"
        )
    decision = route(matches, intent)
    lines.append(
        f"decision (rules only; the second net and the classifier run in the bot): "
        f"{decision.decision} by {decision.by}"
        + (f", rule {decision.rule}, phrase {decision.phrase!r}" if decision.rule else "")
    )
    alone = [s.text for s in rules.sentences_told_as_now(doc)]
    specific = [s.text for s in rules.sentences_told_as_now(doc, specific=True)]
    if alone:
        lines.append("signs told as now, scored alone in a long message: " + repr(alone))
    else:
        lines.append("no sign told as now: the second net needs its no-sign threshold")
    if specific:
        lines.append("a specific sign told as now (a short message needs only the sign threshold)")
    return "\n".join(lines)


def load_compiled(safety_dir: Any, spacy_dir: Any) -> CompiledRules:
    import spacy

    from bot.safety.rules import load_rules

    return CompiledRules(load_rules(safety_dir), spacy.load(spacy_dir))
