"""`make bench`: our bot and Rasa's starter bot (`rasa init`) under the same load, side by side.

Our bot starts as `faqbot serve --no-web` starts it in production: the action server and the Rasa
server through the launcher's own functions (bot.ops.serve: no TensorFlow, and with REDIS_URL set
two Sanic workers sharing the Redis lock), Rasa on 127.0.0.1:5005 and the actions on
127.0.0.1:5055 (free ports instead when those are taken), a fresh SQLite database. REDIS_URL is
taken from the environment; unset, a throwaway redis-server is started when installed
(`--no-redis`: the embedded default, one worker). The starter bot runs as `rasa run` serves it.
Both log at WARNING, telemetry off.

Simulated users hold multi-turn conversations over the REST channel, exactly N in flight at once,
for a fixed time; the figures are throughput, latency percentiles, errors, start-up time, memory
(RSS of each Rasa process, PSS of everything started) and CPU time per message, as ratios to the
starter bot, with the targets of issue 14 marked PASS or FAIL. The reference bot makes the figures
mean something on any machine; CPU time per message, which other work on a busy box hardly
moves, makes runs at different times comparable."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config import ROOT, VAR_DIR, Settings
from bot.ops.serve import (
    BIN,
    BotServers,
    Ports,
    free_port,
    rasa_server_env,
    server_env,
    stop,
    wait_until_up,
)
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
        '/faq{"faq_entry":"side_effects_overview"}',
        "can you recommend a good pizza place nearby",
        "how much does the treatment cost",
        "thanks a lot",
    ],
    [
        "hi there",
        "who can get botox for chronic migraine",
        "what happens at the appointment, where do the needles go",
        '/faq{"faq_entry":"schedule_overview"}',
        "what's the weather going to be like tomorrow",
        "does it work for most people",
        "thank you",
    ],
    [
        "good morning",
        "what counts as chronic migraine",
        "how often would i need to go back for more injections",
        '/faq{"faq_entry":"effectiveness_overview"}',
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

# Issue 14's targets, at --users users with REDIS_URL set.
TARGET_THROUGHPUT_RATIO = 4.0
TARGET_P95_MS = 200.0
TARGET_STARTUP_S = 6.0
TARGET_RSS_MB = 350.0  # per Rasa process (the main one and each worker)
TARGET_TOTAL_PSS_MB = 700.0  # everything our launcher starts
# What each of our Rasa processes prints once its model is loaded (bot.ops.no_tensorflow).
LOADED = "TensorFlow modules in sys.modules:"


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


def process_tree(pid: int) -> list[Any]:
    """The process and its children (Sanic's workers), as psutil processes."""
    import psutil

    try:
        main = psutil.Process(pid)
        return [main, *main.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process and its children have used so far."""
    import psutil

    total = 0.0
    for process in process_tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


MB = 1024 * 1024


@dataclass
class Memory:
    """The most seen while sampling: RSS per process (by role) and the PSS of all of them."""

    rss: dict[str, float] = field(default_factory=dict)  # MiB
    total_pss: float = 0.0  # MiB

    def sample(self, roots: dict[str, int]) -> None:
        import psutil

        pss = 0.0
        for name, pid in roots.items():
            for number, process in enumerate(process_tree(pid)):
                role = name if number == 0 else f"{name} worker {number}"
                try:
                    info = process.memory_full_info()
                except psutil.Error:
                    continue
                self.rss[role] = max(self.rss.get(role, 0.0), info.rss / MB)
                pss += info.pss / MB
        self.total_pss = max(self.total_pss, pss)

    def rasa_rss(self) -> float:
        """The largest RSS of any Rasa process (the main one or a worker)."""
        return max((mb for role, mb in self.rss.items() if role.startswith("rasa")), default=0.0)


@contextlib.contextmanager
def sampling(memory: Memory, roots: dict[str, int], every: float = 2.0) -> Iterator[None]:
    """Samples memory every `every` seconds in a thread while the block runs, and at its end."""
    done = threading.Event()

    def loop() -> None:
        while not done.wait(every):
            memory.sample(roots)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        memory.sample(roots)


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
    memory: Memory = field(default_factory=Memory)
    note: str = ""

    @property
    def roots(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}


def port_or_free(port: int) -> int:
    """`port` on 127.0.0.1 when nothing listens there, else a free one."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


@contextlib.contextmanager
def redis_for_bench(use_redis: bool) -> Iterator[tuple[str | None, str]]:
    """(REDIS_URL, what it is): the environment's; else a throwaway redis-server on a free port
    (without persistence) when installed; else None, the embedded default."""
    configured = Settings.from_env().redis_url
    if configured or not use_redis:
        yield configured, "REDIS_URL" if configured else "none (--no-redis): in-memory lock"
        return
    program = shutil.which("redis-server")
    if program is None:
        yield None, "none (redis-server not installed): in-memory lock"
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="faqbot-bench-redis-") as workdir:
        process = subprocess.Popen(
            [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with socket.socket() as s, contextlib.suppress(OSError):
                    s.connect(("127.0.0.1", port))
                    break
                time.sleep(0.1)
            yield f"redis://127.0.0.1:{port}/0", f"a throwaway redis-server on port {port}"
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


def workers_loaded(servers: BotServers) -> int:
    """How many of our Rasa processes have loaded the model (each prints LOADED once)."""
    log = servers.workdir / "rasa.log"
    return log.read_text(errors="replace").count(LOADED) if log.exists() else 0


def start_ours(workdir: Path, redis_url: str | None) -> Subject:
    """Action server and Rasa started as `faqbot serve --no-web` starts them (bot.ops.serve's
    functions, the production defaults), on a fresh database; up once every worker has loaded
    the model and a greeting gets a proper answer."""
    from bot.content.knowledge import load_knowledge

    url = f"sqlite:///{workdir / 'bench.db'}"
    load_knowledge(url, Settings.from_env().knowledge_dir)
    extra = {"DATABASE_URL": url, **BENCH_ENV}
    if redis_url:
        extra |= {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": f"faqbot-bench-{uuid.uuid4().hex}"}
    env = server_env(extra)
    workers = int(rasa_server_env(env)["SANIC_WORKERS"])
    ports = Ports(rasa=port_or_free(5005), actions=port_or_free(5055), web=free_port())
    servers = BotServers(workdir=workdir, env=env, ports=ports)
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            actions = pool.submit(servers.start_actions)
            servers.start_rasa()
            actions.result()
        webhook = f"{servers.url}/webhooks/rest/webhook"
        first_answer(webhook, "hello", servers.processes["rasa"], 120)
        deadline = time.monotonic() + 120
        while workers_loaded(servers) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
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
        note=f"Rasa on port {ports.rasa} with {workers} worker(s), actions on {ports.actions}",
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
    """A short unmeasured warm-up, then one run per number of users, memory sampled throughout."""
    subject.memory.sample(subject.roots)
    with sampling(subject.memory, subject.roots):
        run_load(subject.url, subject.conversations, 2, min(3.0, seconds))
        for users in levels:
            before = {name: cpu_seconds(pid) for name, pid in subject.roots.items()}
            run = run_load(subject.url, subject.conversations, users, seconds)
            run.cpu = {name: cpu_seconds(pid) - before[name] for name, pid in subject.roots.items()}
            subject.runs.append(run)
            print(f"  {subject.name}: {users} users done", file=sys.stderr, flush=True)


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
                "--subprocesses",
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
    ("  the knowledge base (version check, reads)", "current (bot/content/service.py"),
    ("logging", "callHandlers (logging/__init__.py"),
]
# A leaf frame here means the event loop was waiting for work: an idle sample.
# (Sanic's main process waits for its workers in multiprocessing's wait/poll.)
IDLE_LEAVES = (
    "serve (sanic/server/runners.py",
    "run_forever (asyncio/base_events.py",
    "select (",
    "wait (multiprocessing/popen_fork.py",
    "poll (multiprocessing/popen_fork.py",
)


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
        note = f"; {subject.note}" if subject.note else ""
        lines += ["", f"{title}: start-up {subject.startup:.1f} s{note}", header]
        for run in subject.runs:
            lines.append(
                f"{run.users:>5} {run.throughput:>7.1f} {_ms(run.percentile_ms(50)):>7} "
                f"{_ms(run.percentile_ms(95)):>7} {_ms(run.percentile_ms(99)):>7} "
                f"{sum(run.errors.values()):>6} {run.cpu_ms_per_message('rasa'):>15.1f}   "
                f"({run.messages} messages, {run.conversations} conversations in "
                f"{run.elapsed:.1f} s{actions_cpu(run)})"
            )
            lines += [f"{'':>13}error: {kind} x{n}" for kind, n in run.errors.most_common()]
        memory = ", ".join(f"{role} {mb:.0f} MB" for role, mb in subject.memory.rss.items())
        lines.append(f"largest RSS seen: {memory}; PSS of all: {subject.memory.total_pss:.0f} MB")

    mine = next(r for r in ours.runs if r.users == users)
    theirs = next(r for r in reference.runs if r.users == users)
    rows: list[tuple[str, float, float, str]] = [
        ("throughput msg/s", mine.throughput, theirs.throughput, "{:.1f}"),
        ("p50 latency ms", mine.percentile_ms(50), theirs.percentile_ms(50), "{:.0f}"),
        ("p95 latency ms", mine.percentile_ms(95), theirs.percentile_ms(95), "{:.0f}"),
        ("p99 latency ms", mine.percentile_ms(99), theirs.percentile_ms(99), "{:.0f}"),
        ("errors", sum(mine.errors.values()), sum(theirs.errors.values()), "{:.0f}"),
        (
            "Rasa CPU ms/msg",
            mine.cpu_ms_per_message("rasa"),
            theirs.cpu_ms_per_message("rasa"),
            "{:.1f}",
        ),
        ("start-up s", ours.startup, reference.startup, "{:.1f}"),
        ("RSS per Rasa process MB", ours.memory.rasa_rss(), reference.memory.rasa_rss(), "{:.0f}"),
        ("PSS of all processes MB", ours.memory.total_pss, reference.memory.total_pss, "{:.0f}"),
    ]
    lines += ["", f"At {users} users{'':<13} {'ours':>9} {'reference':>10} {'ours/ref':>9}"]
    for label, a, b, form in rows:
        lines.append(f"{label:<27} {form.format(a):>9} {form.format(b):>10} {_ratio(a, b):>8.2f}x")

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
            ours.memory.rasa_rss() <= TARGET_RSS_MB,
            f"RSS <= {TARGET_RSS_MB:.0f} MB per Rasa process: {ours.memory.rasa_rss():.0f} MB "
            f"(reference {reference.memory.rasa_rss():.0f} MB)",
        ),
        (
            ours.memory.total_pss <= TARGET_TOTAL_PSS_MB,
            f"PSS <= {TARGET_TOTAL_PSS_MB:.0f} MB for everything started: "
            f"{ours.memory.total_pss:.0f} MB",
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
    parser.add_argument(
        "--no-redis",
        action="store_true",
        help="without REDIS_URL, run the embedded default (one worker, in-memory lock) instead of "
        "starting a throwaway redis-server",
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
    with (
        tempfile.TemporaryDirectory(prefix="faqbot-bench-") as tmp,
        redis_for_bench(not args.no_redis) as (redis_url, redis_note),
    ):
        workdir = Path(tmp)
        reference_dir()  # trains it first, when needed, so it is not timed as start-up
        print(f"Redis for our bot: {redis_note}.", flush=True)
        subjects = []
        profiles: dict[str, Path] = {}
        starts: list[Callable[[Path], Subject]] = [
            lambda workdir: start_ours(workdir, redis_url),
            start_reference,
        ]
        for start in starts:
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
