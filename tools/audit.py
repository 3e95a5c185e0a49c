"""`make audit`: pip-audit on the installed environment, minus the accepted findings.

pip-audit lives in its own virtualenv (var/tools/pip-audit): it needs packaging>=23, and Rasa 3.6
pins packaging<21, so it cannot be installed into .venv. It audits .venv's site-packages through
`--path`, asking PyPI's JSON API about each installed version. The accepted findings, each with
its reason, are in .ci/pip-audit-ignore.txt. When no version can be looked up (no network, or an
index without the per-version JSON API) the audit is skipped with a message, not failed: it says
nothing about the packages then, and a red build would only say the network is down."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import ROOT, VAR_DIR

IGNORE_FILE = ROOT / ".ci" / "pip-audit-ignore.txt"
PIP_AUDIT = VAR_DIR / "tools" / "pip-audit" / "bin" / "pip-audit"
# pip-audit's traceback when PyPI cannot be reached at all (requests' exception names).
UNREACHABLE = re.compile(r"ConnectionError|ProxyError|ConnectTimeout|ReadTimeout|SSLError")


def read_ignored(path: Path = IGNORE_FILE) -> dict[str, str]:
    """ID -> reason. A line without a reason is an error: every exception must say why."""
    ignored = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        vuln_id, _, reason = line.strip().partition(" ")
        if not reason.strip():
            raise ValueError(f"{path.name}:{number}: {vuln_id} has no reason")
        ignored[vuln_id] = reason.strip()
    return ignored


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]

    @property
    def ids(self) -> set[str]:
        return {self.id, *self.aliases}


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    lines: list[str]


def judge(report: dict[str, Any], ignored: dict[str, str]) -> Verdict:
    """Fails on a finding that the ignore list does not name; skips when nothing was audited."""
    dependencies = [d for d in report["dependencies"] if "editable" not in d.get("skip_reason", "")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    unaudited = [d["name"] for d in dependencies if "skip_reason" in d]
    if not audited:
        reason = next((d["skip_reason"] for d in dependencies), "no packages found")
        return Verdict(
            0,
            [
                f"pip-audit SKIPPED: none of the {len(dependencies)} installed packages could be "
                "looked up in PyPI's vulnerability data, so nothing was audited.",
                f"  pip-audit said, e.g.: {reason}",
                "  (This index or network does not serve https://pypi.org/pypi/<name>/<version>/json;"
                " run `make audit` where PyPI is reachable.)",
            ],
        )
    findings = [
        Finding(
            d["name"], d["version"], v["id"], tuple(v.get("aliases", ())), tuple(v["fix_versions"])
        )
        for d in audited
        for v in d.get("vulns", ())
    ]
    accepted = [f for f in findings if f.ids & ignored.keys()]
    open_findings = [f for f in findings if not f.ids & ignored.keys()]
    stale = sorted(set(ignored) - {i for f in accepted for i in f.ids})
    lines = [
        f"pip-audit: {len(audited)} packages audited, {len(findings)} known vulnerabilities, "
        f"{len(accepted)} accepted in {IGNORE_FILE.relative_to(ROOT)}."
    ]
    if unaudited:
        lines.append(f"  not found on PyPI, so not audited: {', '.join(sorted(unaudited))}")
    if stale:
        lines.append(
            f"  ignore-list entries that match nothing any more (delete): {', '.join(stale)}"
        )
    for f in open_findings:
        aliases = f" ({', '.join(f.aliases)})" if f.aliases else ""
        fixed = ", ".join(f.fixed_in) or "no fix yet"
        lines.append(f"  VULNERABLE {f.package} {f.version}: {f.id}{aliases}, fixed in {fixed}")
    return Verdict(1 if open_findings else 0, lines)


def run_pip_audit(site_packages: str, pip_audit: Path = PIP_AUDIT) -> dict[str, Any] | None:
    """pip-audit's JSON report, or None when it could not reach PyPI at all."""
    command = [
        str(pip_audit), "--path", site_packages, "--skip-editable",
        "--vulnerability-service", "pypi", "--format", "json", "--progress-spinner", "off",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    try:
        return dict(json.loads(done.stdout))
    except ValueError:
        if UNREACHABLE.search(done.stderr):
            return None
        raise RuntimeError(f"pip-audit failed ({done.returncode}):\n{done.stderr}") from None


def main() -> int:
    if not PIP_AUDIT.exists():
        print(f"{PIP_AUDIT} is missing: run `make audit`, which installs it.", file=sys.stderr)
        return 2
    ignored = read_ignored()
    report = run_pip_audit(sysconfig.get_paths()["purelib"])
    if report is None:
        print("pip-audit SKIPPED: PyPI could not be reached, so nothing was audited.")
        return 0
    verdict = judge(report, ignored)
    print("\n".join(verdict.lines))
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
