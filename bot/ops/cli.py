"""`faqbot`: the operator's command line (build, validate and load content, purge old chats)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
        f"purge: {done} conversations: {result.conversations}, events: {result.events} "
        f"(no message in the last {days} days)"
    )
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
    commands.add_parser("setup", help="build-spacy, validate and load")
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
    if args.command == "setup":
        _build_spacy(settings, force=False)
        return _load(settings) if _validate(settings) else 1
    if args.command == "safety":
        return _safety(settings, args)
    if args.command == "purge":
        return _purge(settings, args.older_than, args.dry_run)
    return _telegram_webhook(args.url)


if __name__ == "__main__":
    sys.exit(main())
