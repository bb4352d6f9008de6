import pytest

from app.errors import InvalidInput
from app.services import accounts, pseudonyms
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
