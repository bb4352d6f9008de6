"""A PostgreSQL cluster of the test's own, to stop and start under load (the machine's shared one stays up).

initdb into a fresh folder with the Debian binaries, on a free loopback port, with its socket in
that folder. initdb and postgres refuse to run as root: as root, the commands run as the
`postgres` user (runuser) in a folder it owns; otherwise they run as whoever runs the tests.
"""

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.live import free_port

BIN_GLOB = "/usr/lib/postgresql/*/bin"
COMMAND_LIMIT_S = 120  # a bound on initdb and pg_ctl, not a measurement


def _bin_dir() -> Path:
    found = sorted(glob.glob(BIN_GLOB), key=lambda p: int(Path(p).parent.name))
    if not found and shutil.which("pg_ctl"):
        return Path(shutil.which("pg_ctl")).parent
    assert found, f"no PostgreSQL server binaries in {BIN_GLOB} or on PATH (initdb, pg_ctl)"
    return Path(found[-1])


class PrivatePostgres:
    def __init__(self):
        self.bin = _bin_dir()
        self.as_root = os.geteuid() == 0
        self.home = Path(tempfile.mkdtemp(prefix="pb-faults-pg-"))
        self.data = self.home / "data"
        self.port = free_port()
        if self.as_root:
            shutil.chown(self.home, user="postgres", group="postgres")

    def _run(self, *args: str) -> str:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_LIMIT_S)
        assert done.returncode == 0, f"{' '.join(args)} exited with {done.returncode}:\n{done.stderr}"
        return done.stdout

    def init(self) -> "PrivatePostgres":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        return self.start()

    def start(self) -> "PrivatePostgres":
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.home}"
        self._run(
            "pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.home / "server.log"), "-o", options
        )
        return self

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended, in-flight transactions rolled back."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def create_database(self, name: str) -> str:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        subprocess.run(
            [*(["runuser", "-u", "postgres", "--"] if self.as_root else []), str(self.bin / "pg_ctl"),
             "stop", "-m", "immediate", "-D", str(self.data)],
            capture_output=True, timeout=COMMAND_LIMIT_S, check=False,
        )  # fmt: skip
        shutil.rmtree(self.home, ignore_errors=True)
