"""Markdown CPU bombs posted as bodies: each answered (stored or refused), and the server answers on."""

import pytest

from tests.factories import join_via_http, start_thread_via_http
from tests.http import csrf_of

BOMBS = {
    "brackets": "[" * 10_000,
    "nested_quotes": ">" * 5_000 + " deep",
    "emphasis_run": "*_" * 5_000,
    "stars": "*" * 19_000 + "a",
    "links": "[a](" * 4_000,
    "backticks": "`" * 10_000 + "x",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_markdown_bomb_is_answered_and_the_server_answers_on(client, name):
    join_via_http(client)
    where = start_thread_via_http(client)
    r = client.post(f"{where}/reply", data={"body": BOMBS[name], "csrf_token": csrf_of(client, where)})
    assert r.status_code in (303, 422), r.text[:300]
    assert client.get(where).status_code == 200
    assert client.get("/guidelines").status_code == 200
