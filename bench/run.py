"""`make bench`: the app against its own stack's limit (issue 15), side by side, on the same data.

    python bench/run.py [--quick] [--only small|large] [--pages front,thread,...] [--skip-pg]

Builds (once, cached under bench/.cache/ by their arguments) a small and a large SQLite forum with
`peerbearing seed-demo`; serves each with `peerbearing serve` and with the baseline
(`bench.baseline:app`: a raw ASGI app, stdlib sqlite3 or psycopg, the same templates, the same bytes),
both pinned to core 0; drives them with wrk pinned to core 1, app and baseline in turn (ABBA pairs)
after a warm-up. Reports median requests/s, p50/p99, peak memory, app/baseline per page, the p99 at
half the baseline's peak rate, the writes at 2 workers and 32 connections, and one PostgreSQL column.
Writes bench/results/latest.md, latest.json and latest.png. Quote ratios: absolutes move with the machine.
"""

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project and tests/live.py's helpers

import httpx  # noqa: E402

from tests.live import APP_ENV, free_port  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
STARTUP_S = 180  # a bound on waiting for a server on a busy machine, not a measurement
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-key-" + "x" * 40  # both servers sign with it: the same CSRF tokens in the same bytes
PG_ADMIN = os.environ.get("PEERBEARING_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# The data sets: 100k threads / 1M posts / 3M encouragements, one 10,000-reply thread, 1,000 reports.
SIZES = {
    "small": ["--threads", "1000", "--replies", "19", "--reactions", "3", "--users", "500"],
    "large": ["--threads", "100000", "--replies", "9", "--reactions", "3", "--users", "5000"],
}
COMMON = ["--longest", "10000", "--reports", "1000", "--seed", "15"]
READ_PAGES = ["front", "deep", "category", "thread", "last-page", "mod", "member-thread"]
WRITES = ["reply", "react"]
TITLES = {
    "front": "GET / (front page)",
    "deep": "GET /?before= (deep front page)",
    "category": "GET /c/<slug>",
    "thread": "GET /t/<id> (20 posts)",
    "last-page": "GET /t/<id>?after= (last page, 10,000 replies)",
    "mod": "GET /mod (moderator, 1,000 reports)",
    "member-thread": "GET /t/<id> (signed-in member)",
    "reply": "POST /t/<id>/reply",
    "react": "POST /p/<id>/react/hug",
}
BASELINE_OPTIONS = [  # what `peerbearing serve` (app/cli.py _serve) gives uvicorn
    "--no-access-log",
    "--no-server-header",
    "--no-proxy-headers",
    "--forwarded-allow-ips",
    "127.0.0.1",
]


@dataclass
class Plan:
    pairs: int = 5
    seconds: float = 5.0
    warmup: float = 3.0
    connections: int = 8  # enough to keep one worker busy; more only lengthens the queue
    write_seconds: float = 5.0
    write_connections: int = 32
    paced_connections: int = 8
    quick: bool = False


@dataclass
class Run:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    timeouts: int
    server_errors: int
    over_2s: int = 0


@dataclass
class Measure:
    page: str
    size: str
    engine: str
    app: list[Run] = field(default_factory=list)
    baseline: list[Run] = field(default_factory=list)
    app_paced: Run | None = None
    baseline_paced: Run | None = None
    paced_rate: float = 0.0
    app_memory_mb: float = 0.0
    baseline_memory_mb: float = 0.0
    same_bytes: bool | None = None
    app_locked: int = 0
    baseline_locked: int = 0

    def median(self, side: str, what: str = "rate") -> float:
        runs = getattr(self, side)
        return statistics.median(getattr(r, what) for r in runs) if runs else 0.0

    @property
    def ratio(self) -> float:
        """The median of the pairs' app/baseline rates (a pair shares the machine's moment)."""
        pairs = [a.rate / b.rate for a, b in zip(self.app, self.baseline, strict=False) if b.rate]
        return statistics.median(pairs) if pairs else 0.0


# --- tools and data -------------------------------------------------------------------------------


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing: installing it from Debian's packages (apt-get install -y wrk)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"]).returncode:
        # A fresh machine may have no package lists yet.
        subprocess.run([*sudo, "apt-get", "update"], check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"peerbearing {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def base_env(url: str) -> dict[str, str]:
    env = {**os.environ, **APP_ENV, "DATABASE_URL": url, "PEERBEARING_SECRET_KEY": SECRET}
    env.pop("PEERBEARING_ENVIRONMENT", None)
    return env


def dataset_key(size: str) -> str:
    """Changes with the seed arguments, the generator and the schema: a stale cache is rebuilt."""
    digest = hashlib.sha256(" ".join(SIZES[size] + COMMON).encode())
    digest.update((ROOT / "app" / "services" / "demo.py").read_bytes())
    for migration in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(migration.name.encode())
    return f"{size}-{digest.hexdigest()[:12]}"


def build_sqlite(size: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{dataset_key(size)}.db"
    if path.exists():
        print(f"[{size}] reusing {path.relative_to(ROOT)}")
        return path
    building = path.with_suffix(".building")
    for stale in CACHE.glob(f"{size}-*"):
        stale.unlink()
    env = base_env(f"sqlite:///{building}")
    started = time.perf_counter()
    cli(env, "migrate")
    said = cli(env, "seed-demo", *SIZES[size], *COMMON).strip()
    print(f"[{size}] {said} (with migrate: {time.perf_counter() - started:.0f} s)")
    _checkpoint(building)
    building.rename(path)
    return path


def _checkpoint(path: Path) -> None:
    import sqlean

    with contextlib.closing(sqlean.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy


def work_copy(path: Path, size: str) -> str:
    """A fresh copy per run: the writes (and read markers) change it; the cache stays as built."""
    copy = CACHE / f"work-{size}.db"
    for old in CACHE.glob(f"work-{size}.db*"):
        old.unlink()
    shutil.copyfile(path, copy)
    return f"sqlite:///{copy}"


# --- servers --------------------------------------------------------------------------------------


class Server:
    """One server process group, pinned to core 0, with its own log; memory is its tree's VmHWM."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, log: Path):
        self.name, self.argv, self.env, self.cwd, self.log = name, argv, env, cwd, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        argv = ["taskset", "-c", "0", *[a.replace("{port}", str(self.port)) for a in self.argv]]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                argv, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                httpx.get(self.url + "/", timeout=5)
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {STARTUP_S} s:\n{self.log.read_text()}")

    def memory_mb(self) -> float:
        """The sum of the peak resident sizes (VmHWM) of the server and its workers."""
        total = 0
        for pid in self._tree():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                total += int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())[1])
        return total / 1024

    def _tree(self) -> list[int]:
        pids, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
                pids.append(pid)
        return pids

    def cpu_ticks(self) -> int:
        total = 0
        for pid in self._tree():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total

    def settle(self, limit: float = 60) -> None:
        """Wait until the server has finished what wrk left queued: the next run gets the core to itself."""
        deadline, last = time.monotonic() + limit, self.cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = self.cpu_ticks()
            if now - last <= 1:
                return
            last = now

    def locked(self) -> int:
        return self.log.read_text(errors="replace").count("database is locked")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def servers(url: str, workers: int, tag: str, baseline_root: Path, only: str = "") -> tuple[Server, Server]:
    """The app and the baseline on this database (`only`: start just that one)."""
    env = base_env(url)
    port = ["--port", "{port}", "--workers", str(workers)]
    app = Server(
        "app", [sys.executable, "-m", "app.cli", "serve", *port], env, ROOT, CACHE / f"app-{tag}.log"
    )
    base_argv = [sys.executable, "-m", "uvicorn", "bench.baseline:app", "--host", "127.0.0.1", *port]
    baseline = Server(
        "baseline", base_argv + BASELINE_OPTIONS, env, baseline_root, CACHE / f"baseline-{tag}.log"
    )
    if only:
        return (app.start(), None) if only == "app" else (None, baseline.start())
    app.start()
    try:
        baseline.start()
    except BaseException:
        app.stop()
        raise
    return app, baseline


# --- what is requested ----------------------------------------------------------------------------


@dataclass
class Target:
    path: str
    cookie: str
    method: str = "GET"
    body: str = ""


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)[1]


def _join(app: Server, visitor: str, name: str) -> str:
    with httpx.Client(base_url=app.url, cookies={"pb_visitor": visitor}, timeout=30) as c:
        token = _csrf(c.get("/join").text)
        form = {
            "pseudonym": name,
            "passphrase": "bench passphrase 1",
            "guidelines": "yes",
            "csrf_token": token,
        }
        answer = c.post("/join", data=form)
        assert answer.status_code in (200, 303), (answer.status_code, answer.text[:500])
        return c.cookies["pb_session"]


def targets(app: Server, url: str) -> dict[str, Target]:
    """The pages of the shared plan, found in this database; the accounts joined through the app."""
    from sqlalchemy import func, select

    from app.db import plain_engine
    from app.models import Category, Post, Thread
    from app.services import reading

    engine = plain_engine(url)
    with engine.connect() as db:
        count = db.scalar(select(func.count()).select_from(Thread))
        far = db.execute(
            select(Thread.last_activity_at, Thread.id)
            .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
            .offset(int(count * 0.9))
            .limit(1)
        ).one()
        slug = db.scalar(
            select(Category.slug).join(Thread).group_by(Category.id).order_by(func.count().desc()).limit(1)
        )
        middle = select(Thread.id).where(Thread.reply_count.between(25, 60)).order_by(Thread.id)
        thread_id, write_id = list(db.scalars(middle.offset(count // 3).limit(2))) or list(
            db.scalars(middle.limit(2))
        )
        longest_id, longest = db.execute(
            select(Thread.id, Thread.reply_count).order_by(Thread.reply_count.desc()).limit(1)
        ).one()
        react_post = db.scalar(select(Post.id).where(Post.thread_id == write_id, Post.position == 1))
    engine.dispose()
    cursor = reading.encode_cursor(Thread(id=far.id, last_activity_at=far.last_activity_at))
    visitor = httpx.get(app.url + "/").cookies["pb_visitor"]
    anonymous = f"pb_visitor={visitor}"
    suffix = format(int(time.time()) % 100000, "x")
    member = _join(app, visitor, f"Bench-Member-{suffix}")
    moderator_name = f"Bench-Mod-{suffix}"
    moderator = _join(app, visitor, moderator_name)
    cli(app.env, "promote", moderator_name, "--role", "moderator")
    signed_in = f"pb_visitor={visitor}; pb_session={member}"
    # The member's own reply in the thread they read: their own controls are on the page.
    with httpx.Client(base_url=app.url, headers={"Cookie": signed_in}, timeout=30) as c:
        token = _csrf(c.get(f"/t/{thread_id}").text)
        posted = c.post(
            f"/t/{thread_id}/reply", data={"body": "Reading along, thank you all.", "csrf_token": token}
        )
        assert posted.status_code == 303, posted.status_code
        write_token = _csrf(c.get(f"/t/{write_id}").text)
    return {
        "front": Target("/", anonymous),
        "deep": Target(f"/?before={cursor}", anonymous),
        "category": Target(f"/c/{slug}", anonymous),
        "thread": Target(f"/t/{thread_id}", anonymous),
        "last-page": Target(f"/t/{longest_id}?after={reading.page_start_for(longest)}", anonymous),
        "mod": Target("/mod", f"pb_visitor={visitor}; pb_session={moderator}"),
        "member-thread": Target(f"/t/{thread_id}", signed_in),
        "reply": Target(
            f"/t/{write_id}/reply", signed_in, "POST", f"body=Thinking+of+you+today.&csrf_token={write_token}"
        ),
        "react": Target(f"/p/{react_post}/react/hug", signed_in, "POST", f"csrf_token={write_token}"),
    }


def same_bytes(app: Server, baseline: Server, target: Target) -> bool | None:
    """Both answer the page with the same status and body (tests/test_bench_baseline.py holds it)."""
    headers = {"Cookie": target.cookie}
    try:
        a = httpx.get(app.url + target.path, headers=headers, timeout=120)
        b = httpx.get(baseline.url + target.path, headers=headers, timeout=120)
    except httpx.TransportError as exc:
        print(f"  could not compare {target.path}: {exc!r}")
        return None
    return a.status_code == b.status_code == 200 and a.content == b.content


# --- wrk ------------------------------------------------------------------------------------------


def wrk(
    server: Server, target: Target, *, seconds: float, connections: int, script: str = "wrk.lua", pace=None
):
    args = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    args += [
        "--timeout",
        "10s",  # a slow answer is measured, not dropped: "over 2 s" is counted from the latencies
        "-s",
        f"bench/{script}",
        "-H",
        f"Cookie: {target.cookie}",
        server.url + target.path,
    ]
    args += ["--", *([str(pace)] if pace is not None else []), target.method, target.body]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    server.settle()
    found = re.search(r"^WRK_JSON (.*)$", done.stdout, re.MULTILINE)
    if not found:
        raise RuntimeError(f"wrk said:\n{done.stdout}\n{done.stderr}")
    r = json.loads(found[1])
    errors = r["connect"] + r["read"] + r["write"] + r["status"]
    return Run(
        rate=r["requests"] / (r["duration_us"] / 1e6),
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        requests=r["requests"],
        errors=errors,
        timeouts=r["timeout"],
        server_errors=r["server_errors"],
        over_2s=r["over_2s"],
    )


def measure_reads(plan, pages, targets_, app, baseline, size, engine, paced=True) -> list[Measure]:
    out = []
    for page in pages:
        target = targets_[page]
        m = Measure(page, size, engine, same_bytes=same_bytes(app, baseline, target))
        for server in (app, baseline):
            wrk(server, target, seconds=plan.warmup, connections=plan.connections)
        for i in range(plan.pairs):
            order = (app, baseline) if i % 2 == 0 else (baseline, app)  # ABBA: drift cancels out
            for server in order:
                run = wrk(server, target, seconds=plan.seconds, connections=plan.connections)
                getattr(m, server.name).append(run)
        if paced:
            m.paced_rate = m.median("baseline") / 2
            pause = max(1, round(plan.paced_connections * 1000 / max(m.paced_rate, 1)))
            for server in (app, baseline):
                run = wrk(server, target, seconds=plan.seconds, connections=plan.paced_connections,
                          script="wrk_paced.lua", pace=pause)  # fmt: skip
                setattr(m, f"{server.name}_paced", run)
        rates = f"app {m.median('app'):7.1f}/s  baseline {m.median('baseline'):7.1f}/s  ratio {m.ratio:.2f}"
        tail = f"app p99 {m.median('app', 'p99_ms'):.1f} ms  same bytes: {m.same_bytes}"
        print(f"[{size}/{engine}] {page:14s} {rates}  {tail}")
        out.append(m)
    app_mb, base_mb = app.memory_mb(), baseline.memory_mb()
    for m in out:
        m.app_memory_mb, m.baseline_memory_mb = app_mb, base_mb
    return out


def measure_writes(plan, targets_, url, size, baseline_root) -> list[Measure]:
    # Each server writes to its own copy: one's queued writers never hold the other's lock.
    work = Path(url.removeprefix("sqlite:///"))
    _checkpoint(work)
    copies = {}
    for side in ("app", "baseline"):
        copies[side] = CACHE / f"work-{size}-writes-{side}.db"
        for old in CACHE.glob(f"{copies[side].name}*"):
            old.unlink()
        shutil.copyfile(work, copies[side])
    app, _ = servers(f"sqlite:///{copies['app']}", 2, f"{size}-writes", baseline_root, only="app")
    try:
        _, baseline = servers(
            f"sqlite:///{copies['baseline']}", 2, f"{size}-writes", baseline_root, only="baseline"
        )
    except BaseException:
        app.stop()
        raise
    out = []
    try:
        for page in WRITES:
            m = Measure(page, size, "sqlite")
            for server in (app, baseline):
                wrk(
                    server,
                    targets_[page],
                    seconds=1,
                    connections=plan.write_connections,
                    script="wrk_writes.lua",
                )
            for i in range(plan.pairs):
                for server in (app, baseline) if i % 2 == 0 else (baseline, app):
                    run = wrk(server, targets_[page], seconds=plan.write_seconds,
                              connections=plan.write_connections, script="wrk_writes.lua")  # fmt: skip
                    getattr(m, server.name).append(run)
            m.app_locked, m.baseline_locked = app.locked(), baseline.locked()
            rates = (
                f"app {m.median('app'):6.1f}/s  baseline {m.median('baseline'):6.1f}/s  ratio {m.ratio:.2f}"
            )
            print(f"[{size}/writes] {page:6s} {rates}  app p99 {m.median('app', 'p99_ms'):.0f} ms")
            out.append(m)
        app_mb, base_mb = app.memory_mb(), baseline.memory_mb()
        for m in out:
            m.app_memory_mb, m.baseline_memory_mb = app_mb, base_mb
    finally:
        app.stop()
        baseline.stop()
    return out


def bench_sqlite(plan, size, pages, writes, baseline_root) -> list[Measure]:
    url = work_copy(build_sqlite(size), size)
    app, baseline = servers(url, 1, size, baseline_root)
    try:
        found = targets(app, url)
        results = measure_reads(plan, pages, found, app, baseline, size, "sqlite")
    finally:
        app.stop()
        baseline.stop()
    if writes:
        results += measure_writes(plan, found, url, size, baseline_root)
    return results


def bench_postgres(plan, size, pages, baseline_root) -> list[Measure]:
    import psycopg

    name = f"pb_bench_{os.getpid()}"
    admin_url = PG_ADMIN
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = "postgresql+psycopg://" + admin_url.split("://", 1)[1].rsplit("/", 1)[0] + f"/{name}"
    try:
        env = base_env(url)
        started = time.perf_counter()
        cli(env, "migrate")
        said = cli(env, "seed-demo", *SIZES[size], *COMMON).strip()
        print(f"[{size}/postgres] {said} (with migrate: {time.perf_counter() - started:.0f} s)")
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        app, baseline = servers(url, 1, f"{size}-pg", baseline_root)
        try:
            found = targets(app, url)
            return measure_reads(plan, pages, found, app, baseline, size, "postgres", paced=False)
        finally:
            app.stop()
            baseline.stop()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the report -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1]) // 1024
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return (
        f"{cpu[1] if cpu else platform.processor()}, {os.cpu_count()} cores, {memory:,} MB; "
        f"{platform.platform()}; Python {platform.python_version()}; {wrk_version.strip()}"
    )


def commit() -> str:
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "app", "templates"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    return sha.stdout.strip() + (" (with uncommitted changes to app/ or templates/)" if dirty else "")


def _pick(results, page, size, engine="sqlite") -> Measure | None:
    return next((m for m in results if (m.page, m.size, m.engine) == (page, size, engine)), None)


def ratio_lines(results: list[Measure]) -> list[str]:
    lines = []
    main_size = "large" if any(m.size == "large" for m in results) else "small"
    for m in results:
        if m.size == main_size and m.engine == "sqlite":
            lines.append(f"app/baseline {m.page} {m.ratio:.2f}")
    for m in results:
        if m.engine == "postgres":
            lines.append(f"app/baseline {m.page}@postgres-{m.size} {m.ratio:.2f}")
    for page in READ_PAGES + WRITES:
        small, large = _pick(results, page, "small"), _pick(results, page, "large")
        if small and large and large.median("app"):
            lines.append(f"large/small {page} {small.median('app') / large.median('app'):.2f}")
    for deep, first in (("deep", "front"), ("last-page", "thread")):
        d, f = _pick(results, deep, main_size), _pick(results, first, main_size)
        if d and f and d.median("app"):
            lines.append(f"deep/first {deep} {f.median('app') / d.median('app'):.2f}")
    return lines


def targets_held(results: list[Measure]) -> list[str]:
    reads = [m for m in results if m.page in READ_PAGES and m.engine == "sqlite"]
    writes = [m for m in results if m.page in WRITES]

    def verdict(ok: bool) -> str:
        return "holds" if ok else "does NOT hold"

    out = []
    if reads:
        ratios = [m.ratio for m in reads]
        out.append(f"- Read pages at least 0.75x the baseline (median {statistics.median(ratios):.2f}): "
                   f"{verdict(statistics.median(ratios) >= 0.75)}")  # fmt: skip
        out.append(f"- No read page under 0.5x (lowest {min(ratios):.2f}): {verdict(min(ratios) >= 0.5)}")
        paced = [m.app_paced for m in reads if m.app_paced]
        if paced:
            silent = sum(not r.requests for r in paced)
            worst = max((r.p99_ms for r in paced if r.requests), default=0.0)
            said = f"worst {worst:.1f} ms" + (
                f"; {silent} page(s) answered nothing at that pace" if silent else ""
            )
            out.append(f"- p99 under 50 ms at half the baseline's peak rate ({said}): "
                       f"{verdict(worst < 50 and not silent)}")  # fmt: skip
    if writes:
        ratios = [m.ratio for m in writes]
        out.append(f"- Writes at least 0.6x (lowest {min(ratios):.2f}): {verdict(min(ratios) >= 0.6)}")
        p99 = max(max(r.p99_ms for r in m.app) for m in writes)
        over = sum(r.over_2s + r.timeouts for m in writes for r in m.app)
        fives = sum(r.server_errors for m in writes for r in m.app)
        locked = sum(m.app_locked for m in writes)
        out.append(f"- Writes p99 under 250 ms at 32 connections (worst {p99:.0f} ms): {verdict(p99 < 250)}")
        out.append(f"- No write over 2 s ({over}): {verdict(over == 0)}")
        out.append(f"- Zero 5xx ({fives}) and zero \"database is locked\" ({locked}): "
                   f"{verdict(fives == 0 and locked == 0)}")  # fmt: skip
    sizes = [line for line in ratio_lines(results) if line.startswith("large/small")]
    if sizes:
        worst = max(float(line.split()[-1]) for line in sizes)
        out.append(f"- Every page on the large database within 1.2x of the small (worst {worst:.2f}): "
                   f"{verdict(worst <= 1.2)}")  # fmt: skip
    deep = [line for line in ratio_lines(results) if line.startswith("deep/first")]
    if deep:
        worst = max(float(line.split()[-1]) for line in deep)
        out.append(f"- Deep pages within 1.25x of first pages (worst {worst:.2f}): {verdict(worst <= 1.25)}")
    return out


def table(results: list[Measure]) -> list[str]:
    head = ("| page | data | engine | app req/s | baseline req/s | app/baseline | app p50 / p99 ms | "
            "baseline p50 / p99 ms | p99 at half baseline peak (rate/s): app, baseline ms | "
            "peak MB app, baseline | same bytes | errors app, baseline |")  # fmt: skip
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for m in results:
        paced = "-"
        if m.app_paced and m.baseline_paced:
            tails = [
                f"{r.p99_ms:.1f}" if r.requests else "none answered" for r in (m.app_paced, m.baseline_paced)
            ]
            paced = f"{m.paced_rate:.0f}/s: {', '.join(tails)}"
        errors = [sum(r.errors + r.timeouts for r in getattr(m, s)) for s in ("app", "baseline")]
        if m.page in WRITES:
            fives = [sum(r.server_errors for r in getattr(m, s)) for s in ("app", "baseline")]
            over = [sum(r.over_2s + r.timeouts for r in getattr(m, s)) for s in ("app", "baseline")]
            errors_cell = (f"5xx {fives[0]}, {fives[1]}; over 2 s {over[0]}, {over[1]}; "
                           f"locked {m.app_locked}, {m.baseline_locked}")  # fmt: skip
        else:
            errors_cell = f"{errors[0]}, {errors[1]}"
        cells = [
            TITLES[m.page],
            m.size,
            m.engine,
            f"{m.median('app'):.1f}",
            f"{m.median('baseline'):.1f}",
            f"{m.ratio:.2f}",
            f"{m.median('app', 'p50_ms'):.1f} / {m.median('app', 'p99_ms'):.1f}",
            f"{m.median('baseline', 'p50_ms'):.1f} / {m.median('baseline', 'p99_ms'):.1f}",
            paced,
            f"{m.app_memory_mb:.0f}, {m.baseline_memory_mb:.0f}",
            "-" if m.same_bytes is None else "yes" if m.same_bytes else "NO",
            errors_cell,
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def write_report(results: list[Measure], plan: Plan, argv: list[str], pg_size: str | None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    sizes = sorted({m.size for m in results})
    lines = [
        "# Benchmark: the app against its own stack's limit",
        "",
        *(
            ["**QUICK RUN** (`--quick`: 1 pair, short runs, for checking the harness, not for quoting)", ""]
            if plan.quick
            else []
        ),  # fmt: skip
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on commit {commit()}: "
        f"`python bench/run.py {' '.join(argv)}`.",
        f"Machine: {machine()}.",
        "",
        f"Servers pinned to core 0 (1 worker for reads, 2 for writes), wrk pinned to core 1: "
        f"{plan.pairs} app/baseline pairs per page (ABBA order) of {plan.seconds:g} s at {plan.connections} "
        f"connections after a {plan.warmup:g} s warm-up; writes {plan.write_seconds:g} s at "
        f"{plan.write_connections} connections; the paced run at half the baseline's median rate, "
        f"{plan.paced_connections} connections. Medians over the pairs; app/baseline is the median of the "
        "pairs' ratios; large/small and deep/first are ratios of the app's time per request "
        "(over 1: slower).",
        "",
        "Data (`peerbearing seed-demo`, seed 15): "
        + "; ".join(f"{s}: `{' '.join(SIZES[s] + COMMON)}`" for s in sizes)
        + (f"; PostgreSQL: the {pg_size} set loaded into a fresh database." if pg_size else "."),
        "",
        *table(results),
        "",
        "```",
        *ratio_lines(results),
        "```",
        "",
        "## Targets (issue 15)",
        "",
        *targets_held(results),
        "",
        "![throughput and p99 per page](latest.png)",
        "",
    ]
    md = RESULTS / "latest.md"
    md.write_text("\n".join(lines))
    (RESULTS / "latest.json").write_text(json.dumps([asdict(m) for m in results], indent=1))
    return md


def _measure(saved: dict) -> Measure:
    runs = {k: [Run(**r) for r in saved.pop(k)] for k in ("app", "baseline")}
    for k in ("app_paced", "baseline_paced"):
        saved[k] = Run(**saved[k]) if saved[k] else None
    return Measure(**saved, **runs)


def plot(results: list[Measure]) -> None:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is missing (`make bench` installs it): no plot drawn")
        return
    matplotlib.use("Agg")
    from matplotlib import pyplot

    every = [(s, e) for e in ("sqlite", "postgres") for s in ("small", "large")]
    groups = [g for g in every if any((m.size, m.engine) == g for m in results)]
    pages = [p for p in READ_PAGES + WRITES if any(m.page == p for m in results)]
    figure, (rates, tails) = pyplot.subplots(2, 1, figsize=(12, 8), constrained_layout=True)
    width = 0.8 / (2 * len(groups))
    for g, (size, engine) in enumerate(groups):
        for s, side in enumerate(("app", "baseline")):
            xs, ys, p99 = [], [], []
            for i, page in enumerate(pages):
                m = _pick(results, page, size, engine)
                if m:
                    xs.append(i + (2 * g + s) * width - 0.4 + width / 2)
                    ys.append(m.median(side))
                    p99.append(m.median(side, "p99_ms"))
            label = f"{side}, {size}" + ("" if engine == "sqlite" else f", {engine}")
            # One colour per data set; the baseline is its hatched, paler twin.
            style = {
                "color": f"C{g}",
                "alpha": 1.0 if side == "app" else 0.45,
                "hatch": "" if side == "app" else "//",
            }
            rates.bar(xs, ys, width, label=label, **style)
            tails.bar(xs, p99, width, label=label, **style)
    for axis, title in ((rates, "requests per second (median)"), (tails, "p99 latency, ms (median)")):
        axis.set_xticks(range(len(pages)), pages)
        axis.set_title(title)
        axis.legend(fontsize="small", ncols=2)
        axis.grid(axis="y", alpha=0.3)
    rates.set_yscale("log")
    tails.set_yscale("log")
    figure.savefig(RESULTS / "latest.png", dpi=110)
    pyplot.close(figure)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 pair of short runs: checks the harness")
    parser.add_argument("--only", choices=sorted(SIZES), help="one database instead of both")
    parser.add_argument("--pages", default="", help=f"comma-separated, of: {', '.join(READ_PAGES + WRITES)}")
    parser.add_argument("--skip-pg", action="store_true", help="no PostgreSQL column")
    parser.add_argument(
        "--pg-size", choices=sorted(SIZES), default="small", help="data for PostgreSQL (small)"
    )
    parser.add_argument("--pairs", type=int, default=None, help="app/baseline pairs per page (5)")
    parser.add_argument(
        "--baseline-root",
        type=Path,
        default=ROOT,
        help="the checkout whose bench.baseline is served (this one; another for development)",
    )
    parser.add_argument("--plot-only", action="store_true", help="redraw latest.png from latest.json")
    args = parser.parse_args(argv)
    if args.plot_only:
        plot([_measure(m) for m in json.loads((RESULTS / "latest.json").read_text())])
        return 0
    plan = Plan(pairs=1, seconds=3, warmup=1, write_seconds=3, quick=True) if args.quick else Plan()
    if args.pairs:
        plan.pairs = args.pairs
    chosen = [p for p in args.pages.split(",") if p] or READ_PAGES + WRITES
    unknown = set(chosen) - set(READ_PAGES + WRITES)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    reads = [p for p in READ_PAGES if p in chosen]
    writes = any(p in WRITES for p in chosen)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    ensure_wrk()
    started = time.perf_counter()
    sizes = [args.only] if args.only else ["small", "large"]
    results: list[Measure] = []
    for size in sizes:
        results += bench_sqlite(plan, size, reads, writes and size == sizes[-1], args.baseline_root.resolve())
    results = [m for m in results if m.page in chosen]
    pg_size = None
    if not args.skip_pg and reads:
        pg_size = args.pg_size
        results += bench_postgres(plan, pg_size, reads, args.baseline_root.resolve())
    md = write_report(results, plan, argv, pg_size)
    plot(results)
    print("\n".join(["", *table(results), "", *ratio_lines(results), "", *targets_held(results)]))
    print(f"\nWrote {md.relative_to(ROOT)} and latest.png in {(time.perf_counter() - started) / 60:.1f} min.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
