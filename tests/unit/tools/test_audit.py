"""`make audit`'s verdict on pip-audit's JSON report, and the ignore list's format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.audit import judge, read_ignored

SKIPPED = "Dependency not found on PyPI and could not be audited: sanic (21.12.2)"


def vuln(vuln_id: str, *aliases: str) -> dict[str, Any]:
    return {"id": vuln_id, "aliases": list(aliases), "fix_versions": ["99.0"], "description": ""}


def report(*dependencies: dict[str, Any]) -> dict[str, Any]:
    ours = {"name": "botox-migraine-faqbot", "skip_reason": "distribution marked as editable"}
    return {"dependencies": [ours, *dependencies], "fixes": []}


def test_every_accepted_vulnerability_in_the_repository_says_why() -> None:
    ignored = read_ignored()
    assert ignored
    assert all(len(reason) > 20 for reason in ignored.values())


def test_an_entry_without_a_reason_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ignore.txt").write_text("# comment\n\nCVE-2024-0001\n")
    with pytest.raises(ValueError, match="CVE-2024-0001 has no reason"):
        read_ignored(tmp_path / "ignore.txt")


def test_a_finding_not_on_the_ignore_list_fails_and_is_named() -> None:
    verdict = judge(
        report({"name": "sanic", "version": "21.12.2", "vulns": [vuln("GHSA-x", "CVE-1")]}), {}
    )
    assert verdict.exit_code == 1
    assert "  VULNERABLE sanic 21.12.2: GHSA-x (CVE-1), fixed in 99.0" in verdict.lines


def test_a_finding_is_accepted_by_its_id_or_an_alias_and_stale_entries_are_named() -> None:
    verdict = judge(
        report(
            {"name": "aiohttp", "version": "3.9.5", "vulns": [vuln("PYSEC-1", "CVE-2")]},
            {"name": "sanic", "version": "21.12.2", "vulns": [vuln("GHSA-y")]},
        ),
        {"CVE-2": "pinned by rasa", "GHSA-y": "pinned by rasa", "CVE-9": "was fixed"},
    )
    assert verdict.exit_code == 0
    assert "2 known vulnerabilities, 2 accepted" in verdict.lines[0]
    assert any(line.endswith("(delete): CVE-9") for line in verdict.lines)


def test_nothing_looked_up_is_a_loud_skip_not_a_pass_or_a_failure() -> None:
    verdict = judge(report({"name": "sanic", "skip_reason": SKIPPED}), {})
    assert verdict.exit_code == 0
    assert verdict.lines[0].startswith("pip-audit SKIPPED")
    assert SKIPPED in verdict.lines[1]
