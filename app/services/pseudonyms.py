"""Pseudonym rules: what a name may be, when two names are the same, and suggestions."""

import re
import secrets
import unicodedata

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
    """What uniqueness is decided on: NFKC + casefold, so 'Ａdam' and 'adam' are one name."""
    return unicodedata.normalize("NFKC", normalize(raw).casefold())


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
    if re.sub(r"[ \-_.]", "", key(name)) in RESERVED:
        return "That name is kept for the people who run the forum. Please choose another."
    return None


def suggest() -> str:
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{secrets.randbelow(90) + 10}"
