"""Shared fixtures: a fresh database per test (SQLite file or a new PostgreSQL database)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.config import ROOT, Settings
from bot.content.knowledge import KnowledgeBase, load_knowledge, read_knowledge
from bot.db import create_db_engine
from bot.ops.serve import BotServers, start_bot

KNOWLEDGE_DIR = ROOT / "data" / "knowledge"
POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServers]:
    """The real action server and Rasa server (trained model in models/) on a fresh database."""
    url = knowledge_sqlite(tmp_path_factory.mktemp("db"))
    running = start_bot(tmp_path_factory.mktemp("servers"), url)
    yield running
    running.stop_all()


def knowledge_sqlite(directory: Path) -> str:
    """The URL of a new SQLite database in `directory` holding the knowledge base."""
    url = f"sqlite:///{directory / 'faqbot.db'}"
    load_knowledge(url, KNOWLEDGE_DIR)
    return url


@pytest.fixture(scope="session")
def spacy_pipeline() -> Any:
    """The project's own spaCy pipeline (lemmas, sentences), as the NLU components get it."""
    import spacy

    return spacy.load(Settings.from_env().spacy_model_dir)


@pytest.fixture
def kb() -> KnowledgeBase:
    return read_knowledge(KNOWLEDGE_DIR)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'faqbot.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the local PostgreSQL, dropped afterwards."""
    name = f"faqbot_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on the local PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()
