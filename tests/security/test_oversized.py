"""Oversized input: every text field at and just over its limit, bodies over MAX_BODY_BYTES (with and
without a Content-Length), too many fields, unexpected or huge multipart parts, and headers too large
for the server (through a real `peerbearing serve`, since uvicorn and h11 enforce those).

At its limit a field is taken; one character over, the calm 422 comes back with the text as typed.
A body over the limit is a calm 413 page before anything is stored; a form with more fields than ours
or a file part is a 400. Each case then checks the server still answers.
"""

from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from app import db
from app.limits import MAX_HEAD_BYTES
from app.main import MAX_BODY_BYTES
from app.models import Post, Thread, User
from app.services import accounts, appeals, decisions, posting, pseudonyms, reporting, search, talk, text
from app.web import FORM_LIMITS
from tests.factories import PASSPHRASE, make_moderator, make_thread, make_user, opening_post, report
from tests.html import parse
from tests.http import csrf_of
from tests.live import running_app

# Two-, three- and four-byte letters: a limit counts characters, and a form sends each as %XX per byte.
WORDS = "Día uno, paso a paso, un día a la vez 🌱 Ďakujem 谢谢 "


def words(length: int) -> str:
    """`length` characters of ordinary writing (one space between words, no space at either end)."""
    out = (WORDS * (length // len(WORDS) + 1))[: length - 1].rstrip() + "."
    return out + "x" * (length - len(out))


def count(model) -> int:
    with db.new_session() as s:
        return s.scalar(select(func.count()).select_from(model))


def shown_back(html: str, field: str) -> list[str]:
    """What each form control named `field` on the page holds."""
    found = parse(html).select(f'[name="{field}"]')
    return [el.get_text() if el.name == "textarea" else el.get("value", "") for el in found]


def assert_answers(client) -> None:
    assert client.get("/guidelines").status_code == 200


@pytest.fixture
def world(session):
    """A writer with a thread, a removed post to appeal and a pause; two moderators; a report."""
    writer = make_user(session, "Writer-Long")
    mod = make_moderator(session, "Mod-Long")
    make_moderator(session, "Mod-Second")
    reporter = make_user(session, "Reporter-Long")
    thread = make_thread(session, writer)
    removed = opening_post(session, make_thread(session, writer, title="Rough words"))
    first = report(session, removed, reporter).report
    decisions.decide(session, report_id=first.id, moderator=mod, action="remove", reason="Too harsh")
    appealed = opening_post(session, make_thread(session, writer, title="Appealed words"))
    second = report(session, appealed, reporter).report
    decisions.decide(session, report_id=second.id, moderator=mod, action="remove", reason="Too harsh")
    appeal = appeals.appeal_post(session, post=appealed, author=writer, note="please")
    to_report = opening_post(session, make_thread(session, make_user(session, "Other-Long"), title="Kind"))
    open_report = report(session, to_report, make_user(session)).report
    paused = make_user(session, "Paused-Long")
    pausing = report(session, opening_post(session, make_thread(session, paused, title="Harsh")), reporter)
    decisions.decide(session, report_id=pausing.report.id, moderator=mod, action="suspend", days="3")
    hidden = opening_post(session, make_thread(session, writer, title="Hidden words"))
    hiding = report(session, hidden, reporter).report
    decisions.decide(session, report_id=hiding.id, moderator=mod, action="hide", reason="For now")
    conversation = talk.member_writes(session, member=writer, body="Hello team")
    session.commit()
    return {
        "thread": thread.id,
        "post": opening_post(session, thread).id,
        "removed": removed.id,
        "hidden": hidden.id,
        "appeal": appeal.id,
        "to_report": to_report.id,
        "report": open_report.id,
        "conversation": conversation.id,
    }


# (who, path, the field, its limit, the other fields): every free-text field a member or moderator
# sends. Paths name the world's ids in braces. A row is tried one over its limit, then at it.
# The restore button sends no reason (it is optional): a long one, sent by hand, has no form to come
# back in, so that row checks the calm 422 and its words only.
FIELDS = [
    ("Writer-Long", "/new", "title", posting.TITLE_MAX, {"body": "Words.", "category": "general"}),
    ("Writer-Long", "/new", "body", text.MAX_BODY, {"title": "Long one", "category": "general"}),
    ("Writer-Long", "/new", "content_note", posting.NOTE_MAX, {"title": "Noted", "body": "Words.",
                                                                "category": "general"}),
    ("Writer-Long", "/t/{thread}/reply", "body", text.MAX_BODY, {}),
    ("Writer-Long", "/t/{thread}/reply", "content_note", posting.NOTE_MAX, {"body": "Words."}),
    ("Writer-Long", "/p/{post}/edit", "body", text.MAX_BODY, {}),
    ("Writer-Long", "/p/{post}/edit", "content_note", posting.NOTE_MAX, {"body": "Words."}),
    ("Reporter-Long", "/p/{to_report}/report", "note", reporting.NOTE_MAX, {"reason": "unkind"}),
    ("Writer-Long", "/p/{removed}/appeal", "note", appeals.NOTE_MAX, {}),
    ("Paused-Long", "/me/appeal", "note", appeals.NOTE_MAX, {}),
    ("Writer-Long", "/talk", "body", talk.MAX_MESSAGE, {}),
    ("Mod-Long", "/mod/reports/{report}", "reason", decisions.REASON_MAX, {"action": "hide"}),
    ("Mod-Second", "/mod/appeals/{appeal}", "reason", appeals.REASON_MAX, {"outcome": "uphold"}),
    ("Mod-Long", "/mod/posts/{hidden}/restore", "reason", decisions.REASON_MAX, {}),
    ("Mod-Long", "/mod/talk/{conversation}", "body", talk.MAX_MESSAGE, {"action": "answer"}),
    ("Mod-Long", "/mod/talk", "body", talk.MAX_MESSAGE, {"post_id": "{to_report}"}),
]  # fmt: skip


def fill(value: str, ids: dict) -> str:
    return value.format(**ids)


@pytest.mark.parametrize(("who", "path", "field", "limit", "others"), FIELDS, ids=lambda v: str(v)[:24])
def test_a_text_field_is_taken_at_its_limit_and_refused_calmly_just_over_it(
    browsers, world, who, path, field, limit, others
):
    client = browsers(who)
    token = csrf_of(client)
    url = fill(path, world)
    data = {k: fill(v, world) for k, v in others.items()} | {"csrf_token": token}
    over = words(limit + 1)
    posts, threads = count(Post), count(Thread)
    r = client.post(url, data={**data, field: over})
    assert r.status_code == 422, (url, field, r.status_code)
    assert f"{limit:,}" in r.text or str(limit) in r.text  # the limit is said, in plain words
    if "/restore" not in path:
        assert over in shown_back(r.text, field), f"{url} {field}: the text typed is not in the form"
    assert (count(Post), count(Thread)) == (posts, threads)
    r = client.post(url, data={**data, field: words(limit)})
    assert r.status_code in (200, 303), (url, field, r.status_code, r.text[:500])
    assert_answers(client)


def test_over_its_limit_with_htmx_each_form_fragment_comes_back_with_the_text(browsers, world):
    clients = {}
    for who, path, field, limit, others in FIELDS:
        if "/restore" in path:
            continue
        client = clients.get(who) or clients.setdefault(who, browsers(who))
        token = csrf_of(client)
        data = {k: fill(v, world) for k, v in others.items()} | {field: words(limit + 1)}
        r = client.post(fill(path, world), data=data, headers={"HX-Request": "true", "X-CSRF-Token": token})
        assert r.status_code == 422, (path, field)
        target = r.headers["HX-Retarget"]
        assert r.headers["HX-Reswap"] == "outerHTML" and "<html" not in r.text, (path, field)
        assert parse(r.text).select_one(target) is not None, (path, target)
        assert words(limit + 1) in shown_back(r.text, field), (path, field)
    assert_answers(client)


def test_a_pseudonym_and_a_passphrase_at_and_over_their_limits(client):
    def join(name: str, passphrase: str = PASSPHRASE):
        data = {"pseudonym": name, "passphrase": passphrase, "guidelines": "yes"}
        return client.post("/join", data={**data, "csrf_token": csrf_of(client, "/join")})

    over = "Ab" * (pseudonyms.MAX_LEN // 2) + "c"
    r = join(over)
    assert r.status_code == 422 and over in shown_back(r.text, "pseudonym")
    long_phrase = "horse " * (accounts.MAX_PASSPHRASE // 6) + "x" * (accounts.MAX_PASSPHRASE % 6 + 1)
    assert len(long_phrase) == accounts.MAX_PASSPHRASE + 1
    r = join("Longest-Phrase", long_phrase)
    assert r.status_code == 422 and f"{accounts.MAX_PASSPHRASE:,} characters" in r.text
    assert long_phrase not in r.text  # a passphrase is never shown back
    assert join("Ab" * (pseudonyms.MAX_LEN // 2), long_phrase[:-1]).status_code == 200
    assert count(User) == 1
    # As long as the body limit lets through: refused in plain words, never a 500.
    huge = "ab " * 60_000
    assert join(huge).status_code == 422
    for path, data in (
        ("/login", {"pseudonym": huge, "passphrase": PASSPHRASE}),
        ("/login", {"pseudonym": "Someone", "passphrase": huge}),
        ("/recover", {"pseudonym": huge[:100_000], "recovery_code": "A" * 50_000, "passphrase": PASSPHRASE}),
    ):
        assert client.post(path, data={**data, "csrf_token": csrf_of(client, path)}).status_code == 422, path
    assert count(User) == 1
    assert_answers(client)


def test_search_words_at_and_over_their_limit(client):
    over = words(search.MAX_QUERY + 1)
    r = client.get("/search", params={"q": over})
    assert r.status_code == 422 and over in shown_back(r.text, "q")
    assert client.get("/search", params={"q": words(search.MAX_QUERY)}).status_code == 200
    assert client.get("/search", params={"q": "x" * 12_000}).status_code == 422
    assert_answers(client)


def test_the_longest_post_in_four_byte_letters_fits_the_body_limit(client, browsers, world):
    writer = browsers("Writer-Long")
    longest = {
        "title": "🌱" * posting.TITLE_MAX,
        "body": "🌱" * text.MAX_BODY,
        "content_note": "🌱" * posting.NOTE_MAX,
        "category": "general",
        "csrf_token": csrf_of(writer),
    }
    assert len(urlencode(longest)) < MAX_BODY_BYTES  # as a browser sends it, every byte as %XX
    assert writer.post("/new", data=longest).status_code == 303


# --- the whole body --------------------------------------------------------------------------


def _form_bytes(token: str, size: int) -> bytes:
    head = f"title=Too+big&category=general&csrf_token={token}&body=".encode()
    return head + b"a" * (size - len(head))


def _chunks(body: bytes, size: int = 16 * 1024):
    for i in range(0, len(body), size):
        yield body[i : i + size]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("fragment", [False, True], ids=["plain", "htmx"])
def test_a_body_over_the_limit_is_a_calm_413_and_nothing_is_stored(browsers, world, chunked, fragment):
    writer = browsers("Writer-Long")
    token = csrf_of(writer)
    body = _form_bytes(token, MAX_BODY_BYTES + 1)
    headers = FORM | ({"HX-Request": "true"} if fragment else {})
    threads = count(Thread)
    r = writer.post("/new", content=_chunks(body) if chunked else body, headers=headers)
    assert r.status_code == 413
    assert "too large" in r.text and "Content-Security-Policy" in r.headers
    assert len(r.content) < 20_000  # the page, not the body echoed back
    assert count(Thread) == threads
    assert_answers(writer)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_at_the_limit_is_read_and_its_long_post_refused_with_422(browsers, world, chunked):
    writer = browsers("Writer-Long")
    body = _form_bytes(csrf_of(writer), MAX_BODY_BYTES)
    r = writer.post("/new", content=_chunks(body) if chunked else body, headers=FORM)
    assert r.status_code == 422 and f"{text.MAX_BODY:,}" in r.text


def test_as_many_fields_as_the_limit_is_taken_and_one_more_is_a_400(browsers, world):
    writer = browsers("Writer-Long")
    base = {"title": "Fields", "body": "Words.", "category": "general", "csrf_token": csrf_of(writer)}
    pad = FORM_LIMITS["max_fields"] - len(base)
    threads = count(Thread)
    at = [*base.items(), *(("content_note_kind", "other") for _ in range(pad))]
    assert writer.post("/new", content=urlencode(at), headers=FORM).status_code == 303
    r = writer.post("/new", content=urlencode([*at, ("x", "")]), headers=FORM)
    assert r.status_code == 400 and "did not make sense" in r.text
    r = writer.post("/new", content="&".join(f"f{i}=" for i in range(20_000)), headers=FORM)
    assert r.status_code == 400
    assert count(Thread) == threads + 1
    assert_answers(writer)


def test_too_many_fields_are_refused_where_the_app_reads_the_form_itself(browsers, world):
    writer = browsers("Writer-Long")
    token = csrf_of(writer)
    many = "&".join(f"note_x{i}=show" for i in range(FORM_LIMITS["max_fields"])) + f"&csrf_token={token}"
    for path in ("/me/settings", "/me/settings/notices", f"/p/{world['to_report']}/react/hug"):
        assert writer.post(path, content=many, headers=FORM).status_code == 400, path
    assert_answers(writer)


def test_multipart_forms_with_many_parts_a_file_or_a_huge_part_are_refused(browsers, world):
    writer = browsers("Writer-Long")
    base = {"title": "Multipart", "body": "Words.", "category": "general", "csrf_token": csrf_of(writer)}
    threads = count(Thread)
    assert writer.post("/new", files={k: (None, v) for k, v in base.items()}).status_code == 303
    many = [*((k, (None, v)) for k, v in base.items()), *(("x", (None, "")) for _ in range(200))]
    assert writer.post("/new", files=many).status_code == 400
    with_file = {**{k: (None, v) for k, v in base.items()}, "body": ("post.txt", b"Words.", "text/plain")}
    assert writer.post("/new", files=with_file).status_code == 400
    huge = {**{k: (None, v) for k, v in base.items()}, "body": (None, "a" * (MAX_BODY_BYTES + 1))}
    r = writer.post("/new", files=huge)
    assert r.status_code == 413 and "too large" in r.text
    react = {"csrf_token": (None, base["csrf_token"]), "f": ("f.bin", b"\0" * 1000, "application/x")}
    assert writer.post(f"/p/{world['to_report']}/react/hug", files=react).status_code == 400
    assert count(Thread) == threads + 1
    assert_answers(writer)


# --- headers -----------------------------------------------------------------------------------
# h11 (under uvicorn) refuses a head over 16 KiB only while it is still arriving; app.limits holds the
# same bound for one that comes whole, so the limit stands however the bytes are sent.

HEADER_LIMIT = MAX_HEAD_BYTES


def test_a_head_over_the_limit_is_a_calm_431_and_one_under_it_is_answered(client):
    r = client.get("/guidelines", headers={"Cookie": "pb_visitor=" + "a" * MAX_HEAD_BYTES})
    assert r.status_code == 431 and "more than we can take" in r.text
    assert "Content-Security-Policy" in r.headers
    r = client.post("/new", headers={"X-Big": "a" * MAX_HEAD_BYTES}, data={"title": "Kept?"})
    assert r.status_code == 431
    assert client.get("/guidelines", headers={"X-Big": "a" * (MAX_HEAD_BYTES - 1024)}).status_code == 200


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server for the module (its own SQLite forum: what is tested here is uvicorn's and ours)."""
    with running_app(tmp_path_factory.mktemp("oversized")) as live:
        yield live


def _refused(client: httpx.Client, **request) -> int:
    try:
        return client.request("GET", "/guidelines", **request).status_code
    except httpx.RemoteProtocolError:  # the server closed the connection without an answer
        return 0


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"headers": {"X-Big": "a" * (HEADER_LIMIT + 1)}},
        {"headers": [(f"X-H{i}", "a") for i in range(3000)]},
        {"headers": {"Cookie": "pb_session=" + "a" * (HEADER_LIMIT + 1)}},
        {"headers": {"Cookie": "; ".join(f"c{i}=v" for i in range(4000))}},
        {"params": {"q": "a" * (HEADER_LIMIT + 1)}},
    ],
    ids=["one huge header", "3000 headers", "huge cookie", "4000 cookies", "huge address"],
)
def test_headers_too_large_for_the_server_get_a_4xx_and_the_server_answers_on(server, request_kwargs):
    with server.client() as client:
        status = _refused(client, **request_kwargs)
    assert 400 <= status < 500, status
    with server.client() as client:
        assert client.get("/guidelines").status_code == 200
    assert "Traceback" not in server.log()


def test_a_cookie_under_the_server_limit_is_ignored_calmly(server):
    with server.client() as client:
        r = client.get("/", headers={"Cookie": f"pb_session={'a' * 8000}; pb_visitor={'b' * 4000}"})
        assert r.status_code == 200 and "Sign in" in r.text
        assert len(r.headers.get("set-cookie", "")) < 200  # a fresh visitor cookie, not the long one


def test_a_chunked_body_over_the_limit_through_the_real_server_is_a_413(server):
    with server.client() as client:
        token = csrf_of(client, "/join")
        data = {"pseudonym": "Chunked-Writer", "passphrase": PASSPHRASE, "guidelines": "yes"}
        assert client.post("/join", data={**data, "csrf_token": token}).status_code == 200
        body = _form_bytes(csrf_of(client), 4 * MAX_BODY_BYTES)
        r = client.post("/new", content=_chunks(body), headers=FORM)
        assert r.status_code == 413 and "too large" in r.text
    with server.client() as client:
        assert "Too big" not in client.get("/").text
