"""Every setting the project reads from the environment, in one place (docs/configuration.md).

Environment variable names are the field names in upper case. An empty variable counts as unset,
so `DATABASE_URL=` in a shell keeps the embedded default. Secrets are `SecretStr`: they never show
in a repr or a log line by accident.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseSettings, SecretStr, validator

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"
# Sanic workers per Rasa server with the conversation lock shared in Redis (Settings.rasa_workers)
WORKERS_WITH_REDIS = 2


class Settings(BaseSettings):
    # Content and models
    database_url: str = f"sqlite:///{VAR_DIR / 'faqbot.db'}"
    knowledge_dir: Path = ROOT / "data" / "knowledge"
    safety_dir: Path = ROOT / "data" / "safety"
    spacy_model_dir: Path = VAR_DIR / "spacy" / "en_faqbot"
    encoder_dir: Path = VAR_DIR / "encoder" / "all-MiniLM-L6-v2"
    clinc_path: Path = ROOT / "data" / "external" / "clinc150" / "data_full.json"
    # Scale-out: Redis for the conversation lock the Rasa servers share.
    redis_url: Optional[str] = None  # noqa: UP007 (pydantic 1 on Python 3.10 needs Optional)
    redis_key_prefix: str = "faqbot"
    # Rasa's own setting, read here too: the in-memory lock must not be split across workers.
    # Unset (None): `rasa_workers()` says how many the launcher (bot.ops.serve) starts.
    sanic_workers: Optional[int] = None  # noqa: UP007
    # Rasa's own setting (DEBUG, INFO, WARNING...), read here for the action server, which the
    # launcher starts without Rasa (bot.ops.no_tensorflow).
    log_level: str = "INFO"
    # The launcher (bot.ops.serve) and the widget's web server: where each listens.
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_host: str = "127.0.0.1"
    actions_port: int = 5055
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    cors_origins: str = ""  # comma-separated; empty: the demo page's own origins
    # Emergency numbers shown in urgent replies, as one phrase ("999, 911 or 112").
    emergency_numbers: str = "999, 911 or 112"
    # Channels: each stays off until both of its secrets are set.
    slack_bot_token: Optional[SecretStr] = None  # noqa: UP007
    slack_signing_secret: Optional[SecretStr] = None  # noqa: UP007
    slack_api_base_url: str = "https://slack.com/api/"
    telegram_bot_token: Optional[SecretStr] = None  # noqa: UP007
    telegram_secret_token: Optional[SecretStr] = None  # noqa: UP007
    telegram_api_base_url: str = "https://api.telegram.org"
    # Slack events and Telegram updates already answered, shared by every server (in Redis when
    # REDIS_URL is set, else in DATABASE_URL): remembered this long, claimed for this long while
    # one server answers (a server that dies mid-answer frees it when the lease runs out).
    delivery_memory_seconds: int = 3 * 24 * 3600
    delivery_lease_seconds: int = 30
    # A 429 from Slack or Telegram: retried after the time they ask for, at most this many times,
    # and not at all when they ask for more than the longest wait.
    rate_limit_retries: int = 3
    rate_limit_max_wait_seconds: float = 30.0
    # Insights page (/insights on the web server): off until this token is set.
    insights_token: Optional[SecretStr] = None  # noqa: UP007
    # Where review-queue labels are appended as NLU training data (`make train` reads data/nlu).
    reviewed_nlu_path: Path = ROOT / "data" / "nlu" / "reviewed.yml"

    class Config:
        case_sensitive = False

    @validator("*", pre=True)
    def _empty_is_unset(cls, value: Any, field: Any) -> Any:  # noqa: N805 (pydantic validator)
        if isinstance(value, str) and not value.strip():
            return field.default
        return value.strip() if isinstance(value, str) else value

    @validator("sanic_workers", pre=True)
    def _workers_or_one(cls, value: Any) -> Any:  # noqa: N805
        """Rasa ignores a SANIC_WORKERS that is not a number; so does this."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return 1

    def rasa_workers(self) -> int:
        """Sanic workers per Rasa server, as the launcher (bot.ops.serve) starts it: SANIC_WORKERS
        when set; else 2 when REDIS_URL is set (the conversation lock all workers share; one
        worker per core of the 2-core target machine); else 1, as Rasa's in-memory lock (the
        embedded default) is one process's own (docs/operations/scaling.md)."""
        if self.sanic_workers is not None:
            return self.sanic_workers
        return WORKERS_WITH_REDIS if self.redis_url else 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from `env` (default: the process environment, parsed again only when a
        variable they read changed: parsing took 0.2 ms, a fifth of the action server's CPU time
        per answer). Treat them as read-only: callers share them."""
        if env is None:
            return _from_process_env(
                tuple(
                    (key, value)
                    for key, value in os.environ.items()
                    if key.lower() in cls.__fields__
                )
            )
        known: dict[str, Any] = {
            key.lower(): value for key, value in env.items() if key.lower() in cls.__fields__
        }
        return cls(**known)


@lru_cache(maxsize=16)
def _from_process_env(variables: tuple[tuple[str, str], ...]) -> Settings:
    """Settings() for a process environment whose variables of ours are `variables`."""
    return Settings()
