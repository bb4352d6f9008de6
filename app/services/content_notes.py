"""Content notes from a fixed list, and each reader's choice of what to do with each kind.

A post's kinds are a comma-separated column on the post (`content_note_kinds`, in KINDS order),
copied onto its thread for the opening post (as `anonymous` is), so lists and thread pages need
no query for them. A reader's choices are one column on the user (`note_choices`, only the
kinds not left at `fold`), loaded with the user on every request: deciding costs no query.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import User

# Stored values: never renamed or renumbered.
KINDS = ("relapse", "using", "self-harm", "suicide", "abuse", "grief", "legal", "other")
FOLD, SHOW, HIDE = "fold", "show", "hide"
CHOICES = {
    FOLD: "Fold (open it yourself)",
    SHOW: "Show open",
    HIDE: "Hide behind one line",
}
DEFAULT = FOLD
FIELD_PREFIX = "note_"
UNKNOWN_KIND = "Please choose from the listed content notes."


@dataclass(frozen=True)
class Note:
    """What this reader is told about a post's (or a thread's) content note."""

    choice: str = ""  # "" (no note), "fold", "show" or "hide": the template renders as told
    words: str = ""  # "relapse, grief: the author's own words" (empty when hidden)
    hidden: str = ""  # the kinds this reader hides, for "Hidden by your settings: ..."

    @property
    def placeholder(self) -> str:
        return f"Hidden by your settings: {self.hidden}" if self.hidden else ""


NO_NOTE = Note()


def clean_kinds(kinds: Iterable[str], note: str, errors: dict[str, str]) -> str:
    """The stored form of the kinds ticked; free words with no kind ticked count as `other`."""
    given = {k.strip() for k in kinds if k.strip()}
    if given - set(KINDS):
        errors["content_note_kind"] = UNKNOWN_KIND
    if note and not given:
        given = {"other"}
    return ",".join(k for k in KINDS if k in given)


def kinds_of(stored: str) -> tuple[str, ...]:
    return tuple(k for k in stored.split(",") if k in KINDS)


def words_of(kinds: tuple[str, ...], note: str) -> str:
    """ "relapse, grief: my words"; `other` is named only when it has no words of its own."""
    named = [k for k in kinds if not (k == "other" and note)]
    if named and note:
        return f"{', '.join(named)}: {note}"
    return note or ", ".join(named)


def choices_of(user: User | None) -> dict[str, str]:
    """Every kind with this reader's choice; anonymous readers always get `fold` (no query)."""
    chosen: dict[str, str] = {}
    if user is not None:
        for pair in (getattr(user, "note_choices", "") or "").split(","):
            kind, _, choice = pair.partition(":")
            if kind in KINDS and choice in CHOICES:
                chosen[kind] = choice
    return {k: chosen.get(k, DEFAULT) for k in KINDS}


def decide(stored_kinds: str, note: str, choices: Mapping[str, str], *, reveal: bool = False) -> Note:
    """One kind hidden hides the post; else one folded folds it; only all-shown shows it open.

    `reveal` is the reader asking to read a hidden post once: it is then shown open.
    """
    kinds = kinds_of(stored_kinds)
    if not kinds:
        return NO_NOTE
    words = words_of(kinds, note)
    hidden = [k for k in kinds if choices.get(k, DEFAULT) == HIDE]
    if hidden and not reveal:
        # Only the kinds chosen to hide are named: the author's own words stay out too.
        return Note(choice=HIDE, hidden=", ".join(hidden))
    if reveal:
        return Note(choice=SHOW, words=words)
    if any(choices.get(k, DEFAULT) == FOLD for k in kinds):
        return Note(choice=FOLD, words=words)
    return Note(choice=SHOW, words=words)


def save_choices(session: Session, *, user: User, fields: Mapping[str, str]) -> dict[str, str]:
    """The reader's choice for each kind (a missing field is `fold`); 422 for any unknown; one commit."""
    errors: dict[str, str] = {}
    for name in fields:
        if name.startswith(FIELD_PREFIX) and name[len(FIELD_PREFIX) :] not in KINDS:
            errors[name] = UNKNOWN_KIND
    chosen = {k: fields.get(FIELD_PREFIX + k) or DEFAULT for k in KINDS}
    for kind, choice in chosen.items():
        if choice not in CHOICES:
            errors[FIELD_PREFIX + kind] = "Please choose fold, show or hide."
    if errors:
        raise InvalidInput("Your choices were not saved yet. What you chose is still here.", fields=errors)
    user.note_choices = ",".join(f"{k}:{c}" for k, c in chosen.items() if c != DEFAULT)
    session.add(user)
    session.commit()
    return chosen
