"""The project's settings, from the environment. Channel secrets are read by their own channel
(bot/channels/), so that a channel whose settings are missing stays off; ports by bot.serve."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


@dataclass(frozen=True)
class Settings:
    database_url: str
    knowledge_dir: Path
    spacy_model_dir: Path
    clinc_path: Path
    # Scale-out (README "Running at scale"): Redis for the conversation lock Rasa servers share.
    redis_url: str | None = None
    redis_key_prefix: str = "faqbot"
    # Rasa's own setting, read here too: the in-memory lock must not be split across workers.
    sanic_workers: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'faqbot.db'}",
            knowledge_dir=Path(env.get("KNOWLEDGE_DIR") or ROOT / "data" / "knowledge"),
            spacy_model_dir=Path(env.get("SPACY_MODEL_DIR") or VAR_DIR / "spacy" / "en_faqbot"),
            clinc_path=Path(
                env.get("CLINC150_PATH")
                or ROOT.parent / "shared" / "datasets" / "clinc150" / "data_full.json"
            ),
            redis_url=env.get("REDIS_URL") or None,
            redis_key_prefix=env.get("REDIS_KEY_PREFIX") or "faqbot",
            sanic_workers=_int_or(env.get("SANIC_WORKERS"), 1),
        )


def _int_or(value: str | None, default: int) -> int:
    """Rasa ignores a SANIC_WORKERS that is not a number; so does this."""
    try:
        return int(value or default)
    except ValueError:
        return default
