"""All configuration comes from the environment, read here and nowhere else."""

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
        )
