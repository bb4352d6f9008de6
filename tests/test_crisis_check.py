"""The gentle check while writing: the phrases file, the matcher and its two corpora."""

from pathlib import Path

import pytest

from app import cli
from app.config import get_settings
from app.services import crisis_check
from app.services.crisis_check import CrisisPhrasesError

CORPORA = Path(__file__).parent / "corpora"


def _sentences(name: str) -> list[str]:
    lines = (CORPORA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture
def shipped() -> crisis_check.Phrases:
    return crisis_check.load(crisis_check.DEFAULT_PATH)


def test_at_least_90_percent_of_the_at_risk_corpus_prompts(shipped):
    sentences = _sentences("at_risk.txt")
    missed = [s for s in sentences if not shipped.suggests_danger(s)]
    assert len(sentences) >= 60
    assert len(missed) <= len(sentences) * 0.10, missed


def test_at_most_10_percent_of_the_ordinary_recovery_corpus_prompts(shipped):
    sentences = _sentences("ordinary.txt")
    prompted = [s for s in sentences if shipped.suggests_danger(s)]
    assert len(sentences) >= 60
    assert len(prompted) <= len(sentences) * 0.10, prompted


@pytest.mark.parametrize(
    "text",
    [
        "I want to KILL MYSELF",
        "killing myself seems easier",
        "I nearly killed myself last night, and I still want to",
        "I'm overdosing on purpose",
        "I think I'll OD tonight",
        "pretty sure I OD'd, everything is spinning",
        "ｋｉｌｌ ｍｙｓｅｌｆ",  # fullwidth letters: NFKC folds them
        "I can’t go on",  # a typographic apostrophe
        "I cannot go on.",
        "i wanna die",
        "I want to just... die",
        "I can't go on!!!",
    ],
)
def test_case_punctuation_unicode_and_inflections_do_not_hide_a_phrase(shipped, text):
    assert shipped.suggests_danger(text)


@pytest.mark.parametrize(
    "text",
    [
        "That was an odd meeting, but a good one.",
        "God, I love my home group.",
        "I used to self harm, now I paint instead.",
        "Years ago I overdosed. I'm 6 years clean.",
    ],
)
def test_ordinary_words_and_sentences_about_the_past_do_not_prompt(shipped, text):
    assert not shipped.suggests_danger(text)


def test_a_sentence_about_the_past_that_also_speaks_of_now_prompts(shipped):
    assert shipped.suggests_danger("I used to cut myself and tonight I want to cut myself again")


def test_the_shipped_file_is_headed_as_examples():
    first = crisis_check.DEFAULT_PATH.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# EXAMPLES")


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("# fine\nkill myself\n[sometimes]\nwant to die\n", 3, "is not a section"),
        ("kill myself\n\n* die\n", 3, "cannot start or end with '*'"),
        ("kill myself\n!!!\n", 2, "has no words"),
    ],
)
def test_a_broken_line_is_refused_naming_the_file_and_the_line(tmp_path, content, line, words):
    path = tmp_path / "phrases.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CrisisPhrasesError) as caught:
        crisis_check.load(path)
    assert f"{path}, line {line}:" in str(caught.value) and words in str(caught.value)


def test_a_file_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "phrases.txt"
    path.write_bytes(b"kill myself\nwant to die\n\xff\xfe broken\n")
    with pytest.raises(CrisisPhrasesError, match=r"line 3: the file is not UTF-8"):
        crisis_check.load(path)


def test_a_missing_or_empty_file_is_refused(tmp_path):
    with pytest.raises(CrisisPhrasesError, match="cannot be read"):
        crisis_check.load(tmp_path / "nowhere.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("# only comments\n[past]\nused to\n", encoding="utf-8")
    with pytest.raises(CrisisPhrasesError, match="holds no phrases"):
        crisis_check.load(empty)


def test_a_broken_phrases_file_stops_the_app_and_peerbearing_serve_at_start(
    tmp_path, monkeypatch, database_url, capsys
):
    from app.main import create_app

    path = tmp_path / "phrases.txt"
    path.write_text("kill myself\n[oops\n", encoding="utf-8")
    monkeypatch.setenv("PEERBEARING_CRISIS_PHRASES", str(path))
    get_settings.cache_clear()
    with pytest.raises(CrisisPhrasesError, match=rf"{path}, line 2"):
        create_app()
    assert cli.main(["serve", "--port", "1"]) == 1  # refused before uvicorn is started
    assert f"{path}, line 2" in capsys.readouterr().err
    monkeypatch.delenv("PEERBEARING_CRISIS_PHRASES")
    get_settings.cache_clear()


def test_the_operator_file_is_read_once_and_replaces_the_examples(tmp_path, monkeypatch):
    path = tmp_path / "phrases.txt"
    path.write_text("my own words\n", encoding="utf-8")
    monkeypatch.setenv("PEERBEARING_CRISIS_PHRASES", str(path))
    get_settings.cache_clear()
    assert crisis_check.current() is crisis_check.current()
    assert crisis_check.suggests_danger("these are My Own Words.")
    assert not crisis_check.suggests_danger("I want to die")
    monkeypatch.delenv("PEERBEARING_CRISIS_PHRASES")
    get_settings.cache_clear()
