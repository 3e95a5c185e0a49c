"""Nothing the project runs or tests refers to a path outside the repository: a fresh clone (CI,
another developer's machine) must have everything it needs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bot.config import ROOT

SCANNED = ["bot", "actions", "tools", "tests", ".ci", "Makefile", "pyproject.toml"]
# Paths the project may name: programs and kernel files of the Debian system it runs on.
SYSTEM_PATHS = (
    "/usr/bin/chromium",
    "/usr/bin/redis-server",
    "/usr/sbin/nginx",
    "/usr/bin/env",
    "/usr/lib/postgresql/",
    "/bin/bash",
    "/proc",
    "/dev/null",
)
# An absolute path in a directory a person or a machine's set-up owns, not the system.
ABSOLUTE = re.compile(
    r"(?<![\w.~:/)}*$-])/(?:work|root|home|Users|mnt|srv|opt|data|scratch|tmp|var|usr|etc|bin"
    r"|lib|proc|dev|sys|private|Volumes)\b(?:/[\w.*+-]*)*"
)
UP = re.compile(r"(?<!\.)(?:(?:\.\./)+|(?:\.\.\\)+|\.\.(?=[\"']))")
OUTSIDE_NAMES = [
    (re.compile(r"(?<![\w.-])shared/"), "a shared/ folder"),
    (re.compile(r"ROOT\.parent\b|ROOT\s*/\s*[\"']\.\.[\"']"), "the repository's parent"),
]


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *SCANNED, "*.yml", "*.yaml"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    files = [ROOT / name for name in listed.split("\0") if name]
    top_level_yaml = [f for f in files if f.suffix in (".yml", ".yaml") and f.parent == ROOT]
    scanned = [f for f in files if f.parts[len(ROOT.parts)] in SCANNED]
    return sorted({*top_level_yaml, *scanned} - {Path(__file__).resolve()})


def leaves_the_repository(file: Path, ups: str) -> bool:
    """Whether going up `ups` (e.g. "../../") from the file's folder ends above the repository."""
    depth = len(file.parent.relative_to(ROOT).parts)
    return ups.count("..") > depth


def frozen_blind_readme(name: Path) -> bool:
    """A blind set's README (tests/data/blind/vNN/<set>/README.md) states which folders its writer
    did not open ("nothing under `shared/`"): a statement, not a path the project uses, and the
    file is frozen under its SHA256SUMS."""
    parts = name.parts
    return len(parts) == 6 and parts[:3] == ("tests", "data", "blind") and parts[5] == "README.md"


def offenders() -> list[str]:
    found = []
    for file in tracked_files():
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary, or deleted but not yet committed
        name = file.relative_to(ROOT)
        for number, line in enumerate(text.splitlines(), 1):
            for match in ABSOLUTE.finditer(line):
                if not match.group().startswith(SYSTEM_PATHS):
                    found.append(f"{name}:{number}: absolute path {match.group()}")
            for match in UP.finditer(line):
                if leaves_the_repository(file, match.group()):
                    found.append(f"{name}:{number}: parent reference {match.group()}")
            for pattern, what in OUTSIDE_NAMES:
                if pattern.search(line) and not frozen_blind_readme(name):
                    found.append(f"{name}:{number}: {what}: {line.strip()}")
    return found


def test_the_scan_sees_the_project() -> None:
    names = {str(f.relative_to(ROOT)) for f in tracked_files()}
    assert {"Makefile", "pyproject.toml", "domain.yml", "bot/config.py", ".ci/run"} <= names


def test_nothing_refers_to_a_path_outside_the_repository() -> None:
    assert offenders() == []


def test_the_scan_would_catch_each_kind(tmp_path: Path) -> None:
    examples = {
        'CLINC = Path("/work/shared/clinc150.json")': "absolute",
        "DATA = ROOT.parent / 'shared' / 'x'": "parent",
        "include ../../other-repo/Makefile": "parent reference",
        "chromium = '/usr/bin/chromium'": None,
    }
    probe = ROOT / "bot" / "probe.py"
    for line, kind in examples.items():
        hits = [
            m.group() for m in ABSOLUTE.finditer(line) if not m.group().startswith(SYSTEM_PATHS)
        ]
        hits += [m.group() for m in UP.finditer(line) if leaves_the_repository(probe, m.group())]
        hits += [what for pattern, what in OUTSIDE_NAMES if pattern.search(line)]
        assert bool(hits) == (kind is not None), line
