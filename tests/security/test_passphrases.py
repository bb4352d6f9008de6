"""Passphrases: argon2id at or above OWASP's minimum by default; sign-in says the same, after the same
kind of work, for an unknown pseudonym and a wrong passphrase."""

from argon2 import Type

from app.config import Settings
from app.services import accounts
from tests.factories import join_via_http
from tests.html import parse
from tests.http import csrf_of

# OWASP Password Storage Cheat Sheet: argon2id, one of these (memory KiB, iterations) or stronger.
OWASP_MINIMUMS = [(47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5)]


def test_the_production_defaults_are_argon2id_at_or_above_owasps_minimum():
    fields = Settings.model_fields
    memory, time = fields["argon2_memory_kib"].default, fields["argon2_time_cost"].default
    assert any(memory >= m and time >= t for m, t in OWASP_MINIMUMS), (memory, time)
    hasher = accounts.PasswordHasher(time_cost=time, memory_cost=memory)
    assert hasher.type is Type.ID and hasher.parallelism >= 1
    assert hasher.hash("x").startswith("$argon2id$")


def _sign_in(client, name: str, passphrase: str):
    return client.post(
        "/login", data={"pseudonym": name, "passphrase": passphrase, "csrf_token": csrf_of(client, "/login")}
    )


def test_unknown_pseudonym_and_wrong_passphrase_get_the_same_answer_after_a_hash(app, client, other_client):
    name = join_via_http(other_client)
    wrong = _sign_in(client, name, "not the passphrase at all")
    before = accounts._dummy_hash.cache_info()
    unknown = _sign_in(client, "Nobody-By-This-Name", "not the passphrase at all")
    after = accounts._dummy_hash.cache_info()
    assert wrong.status_code == unknown.status_code == 422
    words = [parse(r.text).select_one("main").get_text(" ", strip=True) for r in (wrong, unknown)]
    assert words[0].replace(name, "Nobody-By-This-Name") == words[1]
    assert (after.hits + after.misses) == (before.hits + before.misses) + 1  # the dummy hash was verified
    assert client.get("/guidelines").status_code == 200
