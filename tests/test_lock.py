"""The lock (requirements/*.txt) pins, with hashes, every dependency that pyproject.toml names, in range."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# name==version, then an optional "; marker" (uv resolves for every platform and Python at once), then hashes.
PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?: ; ([^\\\n]*?))?"
    r"((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)",
    re.M,
)
BUILD_REQUIRES = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]

# Which extras each lock file holds, besides the main dependencies.
LOCKS = {
    "run.txt": [],
    "deploy.txt": ["postgres", "redis"],
    "dev.txt": ["dev", "e2e", "bench", "postgres", "redis"],
}


def _pins(name: str) -> dict[str, list[tuple[str, str]]]:
    """Package -> [(version, marker)]: one entry, or one per Python range where the versions differ."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for m in PIN.finditer((ROOT / "requirements" / name).read_text()):
        pins.setdefault(canonicalize_name(m[1]), []).append((m[2], m[3] or ""))
    return pins


@pytest.mark.parametrize("lock", LOCKS)
def test_each_lock_pins_every_dependency_it_should_within_the_pyproject_range(lock):
    pins = _pins(lock)
    extras = PROJECT["optional-dependencies"]
    wanted = PROJECT["dependencies"] + BUILD_REQUIRES + [d for extra in LOCKS[lock] for d in extras[extra]]
    for line in wanted:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml, not in requirements/{lock}: run `make lock`"
        for version, _ in pins[name]:
            assert req.specifier.contains(version, prereleases=True), (
                f"requirements/{lock} pins {req.name}=={version}, outside {req.specifier}: run `make lock`"
            )


def test_the_locks_agree_and_run_txt_has_no_dev_tool_or_driver():
    dev, deploy, run = _pins("dev.txt"), _pins("deploy.txt"), _pins("run.txt")
    for smaller in (deploy, run):
        for name, pins in smaller.items():
            assert sorted(v for v, _ in pins) == sorted(v for v, _ in dev[name]), name
            # A marker may narrow only where dev installs the package everywhere: tzdata is Windows-only
            # for the app, but dev needs it on every platform (python-dateutil, for the bench's plot).
            markers, dev_markers = sorted(m for _, m in pins), sorted(m for _, m in dev[name])
            assert markers == dev_markers or dev_markers == [""], name
    assert set(run) < set(deploy) < set(dev)
    assert not {"pytest", "ruff", "playwright", "psycopg", "redis"} & set(run)
