from tests.factories import join_via_http, start_thread_via_http
from tests.html import parse
from tests.http import csrf_of


def test_front_page_lists_categories_and_links_the_guidelines(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Coping tips" in response.text
    assert parse(response.text).select('a[href="/guidelines"]'), "no link to the guidelines"


def test_a_member_can_join_start_a_thread_and_reply(client):
    join_via_http(client, "Quiet-Harbor-27")
    thread_path = start_thread_via_http(
        client, title="My first week", body="It was *hard*.", category="stories", content_note=""
    )
    r = client.post(f"{thread_path}/reply", data={"body": "Still here.", "csrf_token": csrf_of(client)})
    assert r.status_code == 303
    page = client.get(thread_path).text
    assert "<em>hard</em>" in page and "Still here." in page
