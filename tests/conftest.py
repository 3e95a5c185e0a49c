"""Shared fixtures: the domain, the knowledge base, databases (SQLite, PostgreSQL), Redis, and
the real servers (`bot` for the session, `make_bot` for a module's own).

Layout: tests/unit needs no server, database or network; tests/integration uses SQLite,
PostgreSQL, Redis and in-process Rasa pieces; tests/e2e starts real servers (marked `e2e`).
A test that uses PostgreSQL is marked `postgres`, one that uses Redis `redis`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import Engine

from bot.config import ROOT, Settings
from bot.content.answers import disclaimer_from_domain
from bot.content.knowledge import KnowledgeBase, read_knowledge
from bot.db import create_db_engine
from bot.ops.serve import BotServers
from tests.services import postgres_admin_url, redis_url  # noqa: F401 (session fixtures)
from tests.support import KNOWLEDGE_DIR, BotFactory, postgres_database
from tests.telegram_api import fake_api  # noqa: F401 (a fake Telegram Bot API, per module)

TESTS = Path(__file__).parent
# Fixtures a unit test must not use: they start servers or reach a database server.
NOT_FOR_UNIT_TESTS = {"postgres_admin_url", "redis_url", "bot", "make_bot", "sqlite_url", "engine"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from where a test is and what it uses, so they cannot be forgotten."""
    for item in items:
        path = Path(str(item.fspath))
        fixtures = set(getattr(item, "fixturenames", ()))
        if (TESTS / "unit") in path.parents and fixtures & NOT_FOR_UNIT_TESTS:
            raise pytest.UsageError(
                f"{item.nodeid} uses {sorted(fixtures & NOT_FOR_UNIT_TESTS)}: "
                "move it to tests/integration or tests/e2e"
            )
        if (TESTS / "e2e") in path.parents:
            item.add_marker(pytest.mark.e2e)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgres_admin_url" in fixtures or params.get("database_url") == "postgres":
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in fixtures:
            item.add_marker(pytest.mark.redis)


# --- content ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """domain.yml as written (responses, intents, actions)."""
    return dict(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def rasa_domain() -> Domain:
    """domain.yml as Rasa loads it."""
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="session")
def disclaimer(domain: dict[str, Any]) -> str:
    return disclaimer_from_domain(domain)


@pytest.fixture
def kb() -> KnowledgeBase:
    return read_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def spacy_pipeline() -> Any:
    """The project's own spaCy pipeline (lemmas, sentences), as the NLU components get it."""
    import spacy

    return spacy.load(Settings.from_env().spacy_model_dir)


# --- databases ----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'faqbot.db'}"


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:  # noqa: F811
    """A new, empty PostgreSQL database, dropped afterwards."""
    with postgres_database(postgres_admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


# --- the real servers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def make_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotFactory]:
    """A module's own servers: `make_bot("name", env={...}, credentials=..., actions=...)`;
    all stopped at the end of the module (or earlier by `servers.stop_all()`)."""
    factory = BotFactory(tmp_path_factory)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServers]:
    """The real action server and Rasa server (trained model in models/) on a fresh SQLite
    database, shared by the session."""
    factory = BotFactory(tmp_path_factory)
    yield factory("bot")
    factory.stop_all()
