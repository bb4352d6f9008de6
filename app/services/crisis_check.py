"""The gentle check while writing: does a draft suggest the writer may be in danger?

Phrases come from the operator's file (`PEERBEARING_CRISIS_PHRASES`, default
`app/operator/crisis_phrases.txt`), read once at start: a broken file stops the server with the
file and line named. Matching runs here, on our own server: no network, no model. Text and
phrases are normalised the same way (NFKC, case, punctuation, a few spellings such as "wanna" and
"OD'd", and a small suffix stripper for inflections), then each phrase is looked for as a run of
words, where `*` stands for up to three other words. A match in a sentence that speaks of the past
("used to", "years ago") does not count unless the same sentence also speaks of now ("tonight").
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.config import PROJECT_ROOT, get_settings
from app.errors import CheckFirst, InvalidInput

DEFAULT_PATH = PROJECT_ROOT / "app" / "operator" / "crisis_phrases.txt"
SECTIONS = ("phrases", "past", "now")
GAP = "*"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_OD = re.compile(r"\bod(?:'d|'ed|ed|'ing|ing|'s)?\b")
_NOT_WORD = re.compile(r"[^\w\s]+")
_ELLIPSIS = re.compile(r"\.{2,}")
_SENTENCES = re.compile(r"[.!?;\n]+")
# Spellings folded before stemming: one form for each, on both sides.
_SPELLINGS = {
    "cannot": "cant",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "dying": "die",
    "lying": "lie",
    "im": "i am",
    "ive": "i have",
    "died": "die",
    "selfharm": "self harm",
    "anymore": "any more",
    "overdosing": "overdose",
}


class CrisisPhrasesError(RuntimeError):
    """The phrases file cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Phrases:
    path: str
    phrases: tuple[str, ...]  # as written, for check-config and tests
    patterns: tuple[re.Pattern, ...]
    past: tuple[re.Pattern, ...]
    now: tuple[re.Pattern, ...]

    def suggests_danger(self, *texts: str) -> bool:
        """True when any sentence of these texts matches a phrase, unless it speaks only of the past."""
        for text in texts:
            # An ellipsis is a pause, not the end of a sentence ("I want to just... die").
            text = _ELLIPSIS.sub(" ", unicodedata.normalize("NFKC", text or ""))
            for sentence in _SENTENCES.split(text):
                words = " " + " ".join(normalise(sentence)) + " "
                if not any(p.search(words) for p in self.patterns):
                    continue
                if any(p.search(words) for p in self.past) and not any(p.search(words) for p in self.now):
                    continue
                return True
        return False


def _stem(word: str) -> str:
    """A small, predictable suffix stripper: killing, killed, kills -> kill; overdose(d) -> overdos."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # cutting -> cutt -> cut
            return word.rstrip("e") if len(word) > 3 else word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def normalise(text: str) -> list[str]:
    """The words of a text as the matcher sees them (the same for phrases and drafts)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    text = _OD.sub(" od ", text)
    text = _NOT_WORD.sub(lambda m: "" if m.group(0) == "'" else " ", text).replace("_", " ")
    words: list[str] = []
    for word in text.split():
        for part in _SPELLINGS.get(word, word).split():
            words.append(_stem(part))
    return words


def _pattern(phrase: str) -> re.Pattern | None:
    pieces = []
    for raw in phrase.split():
        if raw == GAP:
            pieces.append(r"(?:\S+ ){0,3}")
            continue
        words = normalise(raw)
        pieces.extend(re.escape(w) + " " for w in words)
    if not pieces or all(p.startswith("(?:") for p in pieces):
        return None
    return re.compile(" " + "".join(pieces))


def parse(text: str, *, path: str) -> Phrases:
    """The phrases of a file's text; an unusable line raises CrisisPhrasesError naming it."""
    found: dict[str, list[re.Pattern]] = {name: [] for name in SECTIONS}
    written: list[str] = []
    section = "phrases"
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            name = line.strip("[] ").lower()
            if not line.endswith("]") or name not in SECTIONS:
                raise CrisisPhrasesError(
                    f"{path}, line {number}: {line!r} is not a section; use one of "
                    + ", ".join(f"[{s}]" for s in SECTIONS)
                    + "."
                )
            section = name
            continue
        if line.startswith(GAP) or line.endswith(GAP):
            raise CrisisPhrasesError(f"{path}, line {number}: a phrase cannot start or end with '*'.")
        pattern = _pattern(line)
        if pattern is None:
            raise CrisisPhrasesError(f"{path}, line {number}: {line!r} has no words to look for.")
        found[section].append(pattern)
        if section == "phrases":
            written.append(line)
    if not found["phrases"]:
        raise CrisisPhrasesError(f"{path}: the file holds no phrases, so nothing would ever be checked.")
    return Phrases(path, tuple(written), tuple(found["phrases"]), tuple(found["past"]), tuple(found["now"]))


def load(path: str | Path) -> Phrases:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CrisisPhrasesError(f"{path}: the crisis phrases file cannot be read ({exc.strerror}).") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CrisisPhrasesError(f"{path}, line {line}: the file is not UTF-8 text.") from exc
    return parse(text, path=str(path))


def configured_path() -> Path:
    return Path(get_settings().crisis_phrases or DEFAULT_PATH)


@lru_cache
def _cached(path: Path) -> Phrases:
    return load(path)


def current() -> Phrases:
    """The phrases in use, read once per configured file (create_app reads them at start)."""
    return _cached(configured_path())


def suggests_danger(*texts: str) -> bool:
    return current().suggests_danger(*texts)


# --- asking once, before anything is stored -------------------------------------------------------

POST, MODERATORS = "post", "moderators"
CONFIRMS = (POST, MODERATORS)


def ask_first(*, confirm: str, title: str = "", body: str) -> None:
    """Raise CheckFirst (200, the form back with help) for a draft that suggests danger.

    A draft sent with `confirm` was already asked about (the prompted form carries only the two
    confirm buttons), so it is never asked again; an unknown `confirm` is refused (422, text kept).
    The content note is not read: it is a warning for readers, and often names the very subject.
    """
    if confirm and confirm not in CONFIRMS:
        raise InvalidInput(
            "Your words were not posted yet. They are still here.",
            fields={"confirm": "Please choose “Post it” or “Send it only to the moderators”."},
        )
    if not confirm and suggests_danger(title, body):
        raise CheckFirst("")
