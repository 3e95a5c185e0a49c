"""`make fuzz`: hypothesis-generated requests against the REST channel for a set time.

Every request must get either an answer (200 with at least one message) or a clear 4xx, and the
server must still answer a plain question afterwards. Prints what it tried and what came back."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCEPTED_STATUSES = frozenset({200, 400, 413})


class _TimeUp(Exception):
    """Ends hypothesis's run when the set time has passed (it has no time limit of its own)."""


@dataclass
class FuzzReport:
    tried: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def format(self) -> str:
        lines = [f"fuzz: {sum(self.tried.values())} requests"]
        lines += [f"  {kind:<22} {count}" for kind, count in sorted(self.tried.items())]
        lines += [f"  HTTP {status:<17} {count}" for status, count in sorted(self.statuses.items())]
        lines.append(f"  failures               {len(self.failures)}")
        lines += [f"    {failure}" for failure in self.failures[:20]]
        return "\n".join(lines)


def post(url: str, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def fuzz(base_url: str, seconds: float) -> FuzzReport:
    """Sends generated bodies to `base_url`/webhooks/rest/webhook until `seconds` have passed."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import strategies as st

    url = f"{base_url}/webhooks/rest/webhook"
    report = FuzzReport()
    deadline = time.monotonic() + seconds
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=8,
    )
    bodies = st.one_of(
        st.tuples(st.just("message text"), st.text(max_size=3000)).map(
            lambda kt: (kt[0], json.dumps({"sender": "fuzz", "message": kt[1]}).encode())
        ),
        st.tuples(st.just("message bytes"), st.binary(max_size=300)).map(
            lambda kb: (kb[0], b'{"sender": "fuzz", "message": "' + kb[1] + b'"}')
        ),
        st.tuples(st.just("any JSON"), json_values).map(
            lambda kv: (kv[0], json.dumps(kv[1]).encode())
        ),
        st.tuples(st.just("raw bytes"), st.binary(max_size=300)),
    )

    @settings(
        max_examples=1_000_000,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(bodies)
    def one_request(kind_and_body: tuple[str, bytes]) -> None:
        if time.monotonic() > deadline:
            raise _TimeUp
        kind, body = kind_and_body
        report.tried[kind] += 1
        status, answer = post(url, body)
        report.statuses[status] += 1
        if status not in ACCEPTED_STATUSES:
            report.failures.append(f"{kind}: HTTP {status} for {body[:80]!r}")
        elif status == 200 and not (isinstance(answer, list) and answer):
            report.failures.append(f"{kind}: no reply for {body[:80]!r}")

    with contextlib.suppress(_TimeUp):
        one_request()
    status, answer = post(url, json.dumps({"sender": "fuzz-after", "message": "hello"}).encode())
    if status != 200 or not answer:
        report.failures.append(f"the server stopped answering: HTTP {status}")
    return report


def main() -> int:
    from bot.config import Settings
    from bot.content.knowledge import load_knowledge
    from bot.ops.serve import start_bot

    parser = argparse.ArgumentParser(prog="python -m tools.fuzz", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'fuzz.db'}"
        load_knowledge(url, Settings.from_env().knowledge_dir)
        servers = start_bot(Path(workdir), url)
        try:
            report = fuzz(servers.url, args.seconds)
        finally:
            servers.stop_all()
    print(report.format())
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
