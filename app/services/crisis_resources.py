"""The operator's crisis resources: lines shown on /help, in compose forms, and the levels' guidance.

Read once from the TOML file named by PEERBEARING_CRISIS_RESOURCES into frozen values, so a running
server never shows a half-read list; a missing or broken file refuses to load, naming the line.
"""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from app.config import get_settings

LEVELS = ("low", "medium", "high")
LINE_KEYS = {"name": True, "contact": True, "url": False, "hours": False, "region": False}  # key: required
TOP_KEYS = {"intro", "line", "levels"}
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")


class ResourceFileError(RuntimeError):
    """The crisis resources file is missing or broken; `line` is 1-based, or None for the whole file."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = Path(path), line, message
        where = f"{self.path}, line {line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Line:
    name: str
    contact: str
    url: str | None = None
    hours: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Level:
    name: str
    guidance: str


@dataclass(frozen=True)
class Resources:
    path: Path
    intro: str
    lines: tuple[Line, ...]
    levels: Mapping[str, Level]  # read-only (a MappingProxyType): "low", "medium", "high", in that order


class _Text:
    """Where tables and keys start in the file's text, to name the line at fault."""

    def __init__(self, text: str):
        self.rows = text.splitlines()

    def _header(self, pattern: str, nth: int = 0) -> int | None:
        found = [i for i, row in enumerate(self.rows) if re.match(rf"\s*{pattern}\s*(#.*)?$", row)]
        return found[nth] + 1 if nth < len(found) else None

    def line_table(self, index: int) -> int | None:
        return self._header(r"\[\[\s*line\s*\]\]", index) or self.key(None, "line")

    def level_table(self, name: str) -> int | None:
        return self._header(rf"\[\s*levels\s*\.\s*[\"']?{re.escape(name)}[\"']?\s*\]") or self.key(
            None, "levels"
        )

    def key(self, start: int | None, key: str) -> int | None:
        """The row of `key = ...` inside the table whose header is on row `start` (None: the top)."""
        first = start or 0  # a 1-based header row is the 0-based index of the row after it
        for i in range(first, len(self.rows)):
            if re.match(r"\s*\[", self.rows[i]):
                break
            if re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", self.rows[i]):
                return i + 1
        return start


def _text_value(raw: Any, *, path: Path, line: int | None, what: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ResourceFileError(path, line, f"{what} must be some words in quotes")
    return raw.strip()


def _line(raw: Any, index: int, *, path: Path, text: _Text) -> Line:
    start = text.line_table(index)
    if not isinstance(raw, dict):
        raise ResourceFileError(path, start, "each [[line]] must be a table of keys")
    for key in raw:
        if key not in LINE_KEYS:
            known = ", ".join(LINE_KEYS)
            raise ResourceFileError(
                path, text.key(start, key), f"a [[line]] has no key {key!r} (it takes {known})"
            )
    values: dict[str, str | None] = {}
    for key, required in LINE_KEYS.items():
        if key not in raw:
            if required:
                raise ResourceFileError(path, start, f"a [[line]] needs a {key}")
            values[key] = None
            continue
        values[key] = _text_value(raw[key], path=path, line=text.key(start, key), what=f"a [[line]]'s {key}")
    url = values["url"]
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ResourceFileError(
                path,
                text.key(start, "url"),
                f"a [[line]]'s url must start with https:// or http://, not {url!r}",
            )
    return Line(**values)


def _levels(raw: Any, *, path: Path, text: _Text) -> Mapping[str, Level]:
    if not isinstance(raw, dict):
        raise ResourceFileError(path, text.key(None, "levels"), "levels must be tables: [levels.high] ...")
    for name in raw:
        if name not in LEVELS:
            raise ResourceFileError(
                path, text.level_table(name), f"there is no level {name!r} (the levels are low, medium, high)"
            )
    levels = {}
    for name in LEVELS:
        start = text.level_table(name)
        if name not in raw:
            raise ResourceFileError(path, None, f"a [levels.{name}] table with its guidance is missing")
        table = raw[name]
        if not isinstance(table, dict) or "guidance" not in table:
            raise ResourceFileError(path, start, f"[levels.{name}] needs a guidance")
        for key in table:
            if key != "guidance":
                raise ResourceFileError(path, text.key(start, key), f"[levels.{name}] has no key {key!r}")
        guidance = _text_value(
            table["guidance"], path=path, line=text.key(start, "guidance"), what=f"[levels.{name}]'s guidance"
        )
        levels[name] = Level(name=name, guidance=guidance)
    return MappingProxyType(levels)


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ResourceFileError(
            path, None, "there is no such file (PEERBEARING_CRISIS_RESOURCES names the crisis resources file)"
        ) from None
    except OSError as exc:
        raise ResourceFileError(path, None, f"cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ResourceFileError(path, line, "the file must be saved as UTF-8 text") from None


def load(path: Path | str) -> Resources:
    """The whole file read and checked, or ResourceFileError naming the file and the line at fault."""
    path = Path(path)
    source = _read(path)
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        line = int(found.group(1)) if found else getattr(exc, "lineno", None)
        raise ResourceFileError(path, line, _TOML_POSITION.sub("", message) or "not valid TOML") from None
    text = _Text(source)
    for key in raw:
        if key not in TOP_KEYS:
            raise ResourceFileError(
                path,
                text.key(None, key),
                f"unknown setting {key!r} (the file takes intro, [[line]], [levels.*])",
            )
    intro = (
        _text_value(raw["intro"], path=path, line=text.key(None, "intro"), what="intro")
        if "intro" in raw
        else ""
    )
    entries = raw.get("line", [])
    if not isinstance(entries, list) or not entries:
        raise ResourceFileError(path, text.key(None, "line"), "the file needs at least one [[line]]")
    lines = tuple(_line(entry, i, path=path, text=text) for i, entry in enumerate(entries))
    if "levels" not in raw:
        raise ResourceFileError(
            path, None, "the [levels.low], [levels.medium] and [levels.high] tables are missing"
        )
    return Resources(path=path, intro=intro, lines=lines, levels=_levels(raw["levels"], path=path, text=text))


@lru_cache(maxsize=1)
def current() -> Resources:
    """The file named by the settings, read once per process (tests call current.cache_clear())."""
    return load(get_settings().crisis_resources)
