"""STAND-IN (claims branch): the levels' guidance only; the `help` part's module replaces this file.

Same interface: `current().levels[level].guidance`, read once from PEERBEARING_CRISIS_RESOURCES
(a TOML file) or, without it, from the example text below.
"""

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT = """
[levels.low]
guidance = "Example: reply in the thread with warmth, and check back within a day."
[levels.medium]
guidance = "Example: write to the author privately today, and point to the crisis lines on /help."
[levels.high]
guidance = "Example: write to the author now, share the first crisis line, and tell another moderator."
"""


@dataclass(frozen=True)
class Level:
    guidance: str


@dataclass(frozen=True)
class Resources:
    levels: dict[str, Level]


@lru_cache
def current() -> Resources:
    path = os.environ.get("PEERBEARING_CRISIS_RESOURCES")
    data = tomllib.loads(Path(path).read_text("utf-8") if path else DEFAULT)
    levels = {name: Level(str(table["guidance"])) for name, table in data.get("levels", {}).items()}
    return Resources(levels=levels)
