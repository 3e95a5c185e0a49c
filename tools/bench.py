"""`make bench`: our bot and Rasa's starter bot (`rasa init`) under the same load, side by side.

Both run as in production (`rasa run`, log level WARNING, telemetry off) on free loopback ports.
Simulated users hold multi-turn conversations over the REST channel, exactly N in flight at once,
for a fixed time; the figures are throughput, latency percentiles, errors, start-up time and peak
memory, with the targets from the "Production" issue marked PASS or FAIL. The reference bot makes
the figures mean something on any machine, and CPU time per message, which other work on a busy
box hardly moves, makes runs at different times comparable."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config import ROOT, VAR_DIR, Settings
from bot.ops.serve import BIN, BotServers, free_port, server_env, stop, wait_until_up
from tools.scoring import percentile

# Quiet logs for both bots, so logging does not dominate (server_env turns telemetry off).
BENCH_ENV = {"LOG_LEVEL": "WARNING", "LOG_LEVEL_LIBRARIES": "ERROR"}

# Realistic mixes: a greeting, FAQ questions in plain words, a button click, a question from
# another domain, thanks.
OUR_CONVERSATIONS = [
    [
        "hello",
        "what is botox and why would they use it for migraine",
        "how does it actually stop the headaches",
        "/side_effects",
        "can you recommend a good pizza place nearby",
        "how much does the treatment cost",
        "thanks a lot",
    ],
    [
        "hi there",
        "who can get botox for chronic migraine",
        "what happens at the appointment, where do the needles go",
        "/schedule",
        "what's the weather going to be like tomorrow",
        "does it work for most people",
        "thank you",
    ],
    [
        "good morning",
        "what counts as chronic migraine",
        "how often would i need to go back for more injections",
        "/effectiveness",
        "can you book me a flight to paris",
        "what other treatments are there if botox doesn't work",
        "which specialist should i see about it",
        "thanks, bye",
    ],
]
# The starter bot's own domain (its data/nlu.yml and stories): greet, moods, affirm/deny, bot
# challenge, goodbye.
REFERENCE_CONVERSATIONS = [
    ["hi", "I am sad", "yes", "are you a bot?", "great", "bye"],
    ["hello", "not very good", "no", "am I talking to a human?", "I am feeling very good", "bye"],
    ["good morning", "I am great", "are you a bot?", "super sad", "indeed", "see you later"],
]

TARGET_THROUGHPUT_RATIO = 4.0
TARGET_P95_MS = 300.0
TARGET_STARTUP_S = 15.0
TARGET_RSS_MB = 700.0


def problem(status: int, body: Any) -> str | None:
    """Why an answer counts as an error: not a 200, no message, an empty message, `unavailable`."""
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, list) or not body:
        return "no reply"
    for message in body:
        if not (message.get("text") or message.get("image")):
            return "empty message"
        if (message.get("metadata") or {}).get("topic") == "unavailable":
            return "unavailable"
    return None


@dataclass
class LoadResult:
    users: int
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    conversations: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per server process

    def cpu_ms_per_message(self, process: str) -> float:
        """A server's CPU time per answered message: unlike throughput, barely moved by other
        work on the machine, so it compares runs made at different times."""
        if not self.messages or process not in self.cpu:
            return math.nan
        return 1000 * self.cpu[process] / self.messages

    @property
    def messages(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.messages / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, q: int) -> float:
        """The q-th latency percentile in milliseconds (tools.scoring.percentile)."""
        return 1000 * percentile(self.latencies, q)


async def _user(
    session: Any,
    url: str,
    conversations: Sequence[Sequence[str]],
    number: int,
    deadline: float,
    max_messages: int,
    result: LoadResult,
) -> None:
    """One simulated user: conversation after conversation, each turn waiting for the answer."""
    import aiohttp

    started = 0
    while time.monotonic() < deadline and result.messages < max_messages:
        sender = f"bench-{uuid.uuid4().hex}"
        for text in conversations[(number + started) % len(conversations)]:
            if time.monotonic() >= deadline or result.messages >= max_messages:
                return
            sent = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    error = problem(response.status, await response.json(content_type=None))
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exception:
                error = type(exception).__name__
            result.latencies.append(time.perf_counter() - sent)
            if error:
                result.errors[error] += 1
        result.conversations += 1
        started += 1


async def drive(
    url: str,
    conversations: Sequence[Sequence[str]],
    users: int,
    seconds: float,
    max_messages: int = 200_000,
) -> LoadResult:
    """Exactly `users` conversations in flight against `url` for `seconds` (loopback only)."""
    import aiohttp

    if urlsplit(url).hostname != "127.0.0.1":
        raise ValueError(f"the load generator only targets 127.0.0.1, not {url}")
    result = LoadResult(users=users)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    _user(session, url, conversations, n, deadline, max_messages, result)
                    for n in range(users)
                )
            ),
            timeout=seconds + 60,
        )
        result.elapsed = time.monotonic() - started
    return result


def run_load(
    url: str, conversations: Sequence[Sequence[str]], users: int, seconds: float
) -> LoadResult:
    return asyncio.run(drive(url, conversations, users, seconds))


def first_answer(url: str, text: str, process: subprocess.Popen, timeout: float) -> None:
    """Returns once `text` gets a proper answer (the model is loaded and the actions answer)."""
    data = json.dumps({"sender": f"bench-probe-{uuid.uuid4().hex}", "message": text}).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                if problem(response.status, json.loads(response.read())) is None:
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} gave no proper answer within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/<pid>/stat); NaN without /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return math.nan
    utime, stime = stat.rpartition(")")[2].split()[11:13]  # fields 14 and 15
    return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """The process's peak and current resident memory (VmHWM, VmRSS) in MiB; NaN without /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return math.nan, math.nan
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    peak, now = (int(fields[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS"))
    return peak, now


@dataclass
class Subject:
    """A bot under test: where it answers, its server processes, how long it took to start."""

    name: str
    url: str
    processes: dict[str, subprocess.Popen]
    startup: float
    conversations: Sequence[Sequence[str]]
    shutdown: Callable[[], None]
    runs: list[LoadResult] = field(default_factory=list)
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)

    def measure_memory(self) -> None:
        self.memory = {name: memory_mb(p.pid) for name, p in self.processes.items()}


def start_ours(workdir: Path) -> Subject:
    """Action server and Rasa started together, as `make run` does, on a fresh database."""
    from bot.content.knowledge import load_knowledge

    url = f"sqlite:///{workdir / 'bench.db'}"
    load_knowledge(url, Settings.from_env().knowledge_dir)
    servers = BotServers(workdir=workdir, env=server_env({"DATABASE_URL": url, **BENCH_ENV}))
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            actions = pool.submit(servers.start_actions)
            servers.start_rasa()
            actions.result()
        webhook = f"{servers.url}/webhooks/rest/webhook"
        first_answer(webhook, "what is botox", servers.processes["rasa"], 120)
    except BaseException:
        servers.stop_all()
        raise
    return Subject(
        name="ours",
        url=webhook,
        processes=dict(servers.processes),
        startup=time.monotonic() - started,
        conversations=OUR_CONVERSATIONS,
        shutdown=servers.stop_all,
    )


def reference_dir() -> Path:
    """The `rasa init` starter bot, trained once per Rasa version and kept under var/bench/."""
    import rasa

    cached = VAR_DIR / "bench" / "reference" / f"rasa-{rasa.__version__}"
    if list((cached / "models").glob("*.tar.gz")):
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"Training the reference bot (`rasa init`, a few minutes, once) into {cached} ...",
        flush=True,
    )
    building = Path(tempfile.mkdtemp(prefix="building-", dir=cached.parent))
    with (cached.parent / "rasa-init.log").open("wb") as log:
        subprocess.run(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(building)],
            cwd=building, env=server_env(BENCH_ENV), stdout=log, stderr=subprocess.STDOUT,
            check=True,
        )  # fmt: skip
    if not list((building / "models").glob("*.tar.gz")):
        raise RuntimeError(f"`rasa init` trained no model; see {cached.parent / 'rasa-init.log'}")
    shutil.rmtree(cached, ignore_errors=True)
    building.rename(cached)
    return cached


def start_reference(workdir: Path) -> Subject:
    """The starter bot as `rasa run` serves it: its own endpoints (in-memory tracker store)."""
    project = reference_dir()
    port = free_port()
    command = [
        str(BIN / "rasa"), "run",
        "--model", str(project / "models"),
        "--interface", "127.0.0.1",
        "--port", str(port),
        "--endpoints", str(project / "endpoints.yml"),
        "--credentials", str(project / "credentials.yml"),
    ]  # fmt: skip
    started = time.monotonic()
    with (workdir / "reference.log").open("ab") as log:
        process = subprocess.Popen(
            command, cwd=project, env=server_env(BENCH_ENV), stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/webhooks/rest/", process, 300)
        first_answer(f"{url}/webhooks/rest/webhook", "hi", process, 120)
    except BaseException:
        stop(process)
        raise
    return Subject(
        name="reference",
        url=f"{url}/webhooks/rest/webhook",
        processes={"rasa": process},
        startup=time.monotonic() - started,
        conversations=REFERENCE_CONVERSATIONS,
        shutdown=lambda: stop(process),
    )


def benchmark(subject: Subject, levels: Sequence[int], seconds: float) -> None:
    """A short unmeasured warm-up, then one run per number of users; memory read at the end."""
    run_load(subject.url, subject.conversations, 2, min(3.0, seconds))
    for users in levels:
        before = {name: cpu_seconds(p.pid) for name, p in subject.processes.items()}
        run = run_load(subject.url, subject.conversations, users, seconds)
        run.cpu = {name: cpu_seconds(p.pid) - before[name] for name, p in subject.processes.items()}
        subject.runs.append(run)
        print(f"  {subject.name}: {users} users done", file=sys.stderr, flush=True)
    subject.measure_memory()


def profile(subject: Subject, users: int, seconds: float, workdir: Path) -> dict[str, Path]:
    """py-spy samples each server process (100 Hz, not pausing it) while `users` users talk."""
    spy = BIN / "py-spy"
    outputs = {name: workdir / f"profile-{name}.txt" for name in subject.processes}
    samplers = [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(process.pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "100",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(outputs[name]),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for name, process in subject.processes.items()
    ]
    run_load(subject.url, subject.conversations, users, seconds)
    for sampler in samplers:
        sampler.wait(timeout=seconds + 60)
    return {name: path for name, path in outputs.items() if path.exists()}


# Where a message's time goes, as (label, frame prefix "function (file"); a sample counts for a
# label when any frame of its stack starts with the prefix. Indented labels are parts of the one
# above them.
COST_CENTRES = [
    ("handling a message in total", "handle_message (rasa/core/processor.py"),
    ("  NLU: parse the message", "_parse_message_with_graph (rasa/core/processor.py"),
    ("    LogisticRegressionClassifier", "process (rasa/nlu/classifiers/logistic_regression"),
    ("    CountVectorsFeaturizer x2", "process (rasa/nlu/featurizers/sparse_featurizer/count_v"),
    ("    spaCy", "__call__ (spacy/language.py"),
    ("  dialogue policies: predict the next action", "_predict_next_with_tracker (rasa/core/p"),
    ("  tracker store: load the conversation", "retrieve (rasa/core/tracker_store.py"),
    ("  tracker store: save new events", "save (rasa/core/tracker_store.py"),
    ("    SQL commit (SQLite: fsync)", "commit (sqlalchemy/engine/base.py"),
    ("    redaction (bot.stores.redact)", "redact_event (bot/stores/redact.py"),
    ("  custom action: call the action server", "run (rasa/core/actions/action.py"),
    ("    JSON-schema check of its answer", "_validate_action_result (rasa/core/actions/action.py"),
    ("action server: run an action", "run (rasa_sdk/executor.py"),
    ("  read the knowledge base (SQLAlchemy)", "fetch_topic (bot/content/knowledge.py"),
    ("logging", "callHandlers (logging/__init__.py"),
]
# A leaf frame here means the event loop was waiting for work: an idle sample.
IDLE_LEAVES = ("serve (sanic/server/runners.py", "run_forever (asyncio/base_events.py", "select (")


def _frame(raw: str) -> str:
    """`fn (/abs/site-packages/pkg/mod.py:12)` -> `fn (pkg/mod.py)`."""
    name, _, where = raw.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({path.split('site-packages/')[-1].replace(str(ROOT) + '/', '')})"


def summarise_profile(path: Path) -> list[str]:
    """Busy share, the cost centres and self time by package, from py-spy's raw output."""
    centres: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(raw) for raw in stack.split(";")[1:]]  # the first names the thread
        total += count
        if not frames or frames[-1].startswith(IDLE_LEAVES):
            idle += count
            continue
        for label, prefix in COST_CENTRES:
            if any(frame.startswith(prefix) for frame in frames):
                centres[label] += count
        where = frames[-1].partition(" (")[2]
        by_package[where.split("/")[0] if "/" in where else where.rstrip(")")] += count
    if not total:
        return ["  (no samples)"]
    lines = [f"  busy {100 * (total - idle) / total:.0f}% of {total} samples; of all samples:"]
    lines += [f"    {100 * centres[label] / total:5.1f}%  {label}" for label, _ in COST_CENTRES
              if centres[label]]  # fmt: skip
    lines.append("  busy samples by package of the innermost frame:")
    busy = total - idle
    lines += [f"    {100 * n / busy:5.1f}%  {pkg}" for pkg, n in by_package.most_common(8)]
    return lines


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def actions_cpu(run: LoadResult) -> str:
    if "actions" not in run.cpu:
        return ""
    return f"; action server {run.cpu_ms_per_message('actions'):.1f} CPU ms/msg"


def format_report(ours: Subject, reference: Subject, users: int) -> str:
    header = (
        f"{'users':>5} {'msg/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'Rasa CPU ms/msg':>15}"
    )
    lines = []
    for subject, title in ((ours, "ours (faqbot)"), (reference, "reference (rasa init)")):
        lines += ["", f"{title}: start-up {subject.startup:.1f} s", header]
        for run in subject.runs:
            lines.append(
                f"{run.users:>5} {run.throughput:>7.1f} {_ms(run.percentile_ms(50)):>7} "
                f"{_ms(run.percentile_ms(95)):>7} {_ms(run.percentile_ms(99)):>7} "
                f"{sum(run.errors.values()):>6} {run.cpu_ms_per_message('rasa'):>15.1f}   "
                f"({run.messages} messages, {run.conversations} conversations in "
                f"{run.elapsed:.1f} s{actions_cpu(run)})"
            )
            lines += [f"{'':>13}error: {kind} x{n}" for kind, n in run.errors.most_common()]
        memory = ", ".join(
            f"{name} {peak:.0f} MB ({now:.0f} MB at the end)"
            for name, (peak, now) in subject.memory.items()
        )
        lines.append(f"peak RSS: {memory}")

    mine = next(r for r in ours.runs if r.users == users)
    theirs = next(r for r in reference.runs if r.users == users)
    rows: list[tuple[str, float, float, str]] = [
        ("throughput msg/s", mine.throughput, theirs.throughput, "{:.1f}"),
        ("p95 latency ms", mine.percentile_ms(95), theirs.percentile_ms(95), "{:.0f}"),
        (
            "Rasa CPU ms/msg",
            mine.cpu_ms_per_message("rasa"),
            theirs.cpu_ms_per_message("rasa"),
            "{:.1f}",
        ),
        ("start-up s", ours.startup, reference.startup, "{:.1f}"),
        ("peak RSS Rasa MB", ours.memory["rasa"][0], reference.memory["rasa"][0], "{:.0f}"),
    ]
    lines += ["", f"At {users} users{'':<11} {'ours':>9} {'reference':>10} {'ours/ref':>9}"]
    for label, a, b, form in rows:
        lines.append(f"{label:<25} {form.format(a):>9} {form.format(b):>10} {_ratio(a, b):>8.2f}x")

    errors = sum(sum(r.errors.values()) for r in ours.runs)
    messages = sum(r.messages for r in ours.runs)
    ratio = _ratio(mine.throughput, theirs.throughput)
    cpu_ratio = _ratio(theirs.cpu_ms_per_message("rasa"), mine.cpu_ms_per_message("rasa"))
    checks = [
        (
            ratio >= TARGET_THROUGHPUT_RATIO,
            f"throughput at {users} users >= {TARGET_THROUGHPUT_RATIO:.0f}x the reference: "
            f"{ratio:.2f}x (by Rasa CPU time per message: {cpu_ratio:.2f}x)",
        ),
        (
            mine.percentile_ms(95) <= TARGET_P95_MS,
            f"p95 latency at {users} users <= {TARGET_P95_MS:.0f} ms: "
            f"{_ms(mine.percentile_ms(95))} ms",
        ),
        (errors == 0, f"no errors: {errors} in {messages} messages"),
        (
            ours.startup <= TARGET_STARTUP_S,
            f"start-up <= {TARGET_STARTUP_S:.0f} s: {ours.startup:.1f} s",
        ),
        (
            ours.memory["rasa"][0] <= TARGET_RSS_MB,
            f"peak RSS <= {TARGET_RSS_MB:.0f} MB per Rasa server: {ours.memory['rasa'][0]:.0f} MB "
            f"(reference {reference.memory['rasa'][0]:.0f} MB)",
        ),
    ]
    lines += ["", "Targets:"]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {text}" for ok, text in checks]
    return "\n".join(lines)


def machine_line() -> str:
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.2f} (1 min) {five:.2f} (5 min)"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--users", type=int, default=16, help="simulated users (default 16)")
    parser.add_argument("--seconds", type=float, default=30, help="seconds per run (default 30)")
    parser.add_argument(
        "--profile",
        type=float,
        default=20,
        help="seconds of py-spy sampling of our servers at --users users, 0 for none (default 20)",
    )
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0 or args.profile < 0:
        parser.error("--users must be >= 1, --seconds > 0, --profile >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    levels = sorted({1, 4, args.users})
    print(
        f"Benchmark: {', '.join(map(str, levels))} users, {args.seconds:.0f} s each, "
        f"over loopback. Machine: {machine_line()} at the start.",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="faqbot-bench-") as tmp:
        workdir = Path(tmp)
        reference_dir()  # trains it first, when needed, so it is not timed as start-up
        subjects = []
        profiles: dict[str, Path] = {}
        for start in (start_ours, start_reference):
            subject = start(workdir)
            try:
                benchmark(subject, levels, args.seconds)
                if subject.name == "ours" and args.profile and (BIN / "py-spy").exists():
                    profiles = profile(subject, args.users, args.profile, workdir)
            finally:
                subject.shutdown()
            subjects.append(subject)
        ours, reference = subjects
        print(format_report(ours, reference, args.users))
        if profiles:
            seconds = f"{args.profile:.0f} s"
            print(f"\nWhere our servers spend time at {args.users} users (py-spy, {seconds}):")
            for name, path in profiles.items():
                print(f"{name}:\n" + "\n".join(summarise_profile(path)))
        elif args.profile:
            print("\nNo profile: py-spy is not installed (`pip install -e '.[dev]'`).")
    print(f"\nMachine at the end: {machine_line()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
