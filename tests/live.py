"""Real app processes for tests, browser tests and the benchmark: `python -m app.cli serve` on a free port.

The one `free_port` of the project lives here; bench/run.py imports this module rather than keep
its own copy, since it runs from the same development install (httpx is all this needs).
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STARTUP_LIMIT_S = 60  # a bound on waiting, not a measurement
FAST_ARGON2 = {"PEERBEARING_ARGON2_TIME_COST": "1", "PEERBEARING_ARGON2_MEMORY_KIB": "1024"}
# What every app under test runs with, in process or served: plain-HTTP cookies, no limits, quick hashes.
APP_ENV = {
    "PEERBEARING_SECURE_COOKIES": "false",
    "PEERBEARING_RATE_LIMITS_ENABLED": "false",
    **FAST_ARGON2,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """One `peerbearing serve` process with its own environment and log file; stop() ends it and its workers.

    `env` adds to this process's environment, or replaces it with `inherit=False`. `own_group` starts
    it in a process group of its own, so kill() can end the master and its workers at one stroke.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        log_path: Path,
        workers: int = 1,
        args: tuple[str, ...] = (),
        inherit: bool = True,
        own_group: bool = False,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env} if inherit else dict(env)
        self.log_path = log_path
        self.workers = workers
        self.args = args
        self.own_group = own_group
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str) -> str:
        """Run a `peerbearing` subcommand on this server's database (migrate, seed-demo, promote)."""
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"peerbearing {' '.join(args)} exited with {done.returncode}:\n{done.stderr}")
        return done.stdout

    def start(self) -> "LiveServer":
        args = [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)]
        args += ["--workers", str(self.workers), *self.args]
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                args,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self.own_group,
            )
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer /healthz within {STARTUP_LIMIT_S} s:\n{self.log()}")

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL to the whole group, master and workers at once: no shutdown, no cleanup (a crash)."""
        assert self.own_group and self.process, "kill() needs a server started with own_group=True"
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def running_app(
    workdir: Path, *, seed: bool = False, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """A freshly migrated SQLite forum in `workdir` (with the demo content if `seed`), served until exit.

    `env` adds settings of this server's own."""
    env = {**os.environ, **APP_ENV, "DATABASE_URL": f"sqlite:///{workdir / 'forum.db'}", **(env or {})}
    env.pop("PEERBEARING_ENVIRONMENT", None)
    server = LiveServer(env, log_path=workdir / "server.log", inherit=False)
    server.cli("migrate")
    if seed:
        server.cli("seed-demo", "--threads", "8", "--replies", "3")
    server.start()
    try:
        yield server
    finally:
        server.stop()
