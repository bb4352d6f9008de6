"""Fault tests: real `peerbearing serve` processes (2 workers, a process group of their own), broken.

Not part of `make test` (pyproject's addopts ignore this folder); `make test-faults` runs it on
SQLite and PostgreSQL, and `pytest tests/faults` runs it directly. Each test's figures are printed
in the terminal summary at the end of the run.
"""

import os
import secrets
from collections.abc import Callable, Iterator

import pytest

from tests.live import APP_ENV, LiveServer

WORKERS = 2
FIGURES: list[str] = []  # lines for the terminal summary


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("fault test figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def figures() -> Callable[[str], None]:
    """figures(text): shown in the run's summary, whether the test passes or not."""
    return FIGURES.append


@pytest.fixture
def serve(tmp_path) -> Iterator[Callable[..., LiveServer]]:
    """serve(url=None) -> a started server on DATABASE_URL (the test database) or `url`; a new one each call.

    Every process shares one secret key, so members' sessions and form tokens outlive a restart.
    """
    started: list[LiveServer] = []
    secret = secrets.token_hex(32)

    def start(url: str | None = None) -> LiveServer:
        env = {**APP_ENV, "DATABASE_URL": url or os.environ["DATABASE_URL"], "PEERBEARING_SECRET_KEY": secret}
        log = tmp_path / f"serve-{len(started)}.log"
        server = LiveServer(env, log_path=log, workers=WORKERS, own_group=True)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
