"""Claims on at-risk items, with a level: the service, then HTTP with and without JS."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import db
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.models import Claim, ModAction, Post, User, utcnow
from app.services import claims, crisis_resources, decisions, membership, moderation_queue, reporting
from tests import queries
from tests.factories import (
    PASSPHRASE,
    at_once,
    load,
    make_moderator,
    make_thread,
    make_user,
    opening_post,
    report,
)
from tests.html import by_id, one, root, text_of
from tests.http import csrf_of, htmx

AT_RISK = reporting.AT_RISK


@pytest.fixture
def other_mod(session) -> User:
    return make_moderator(session, "Mod-Rowan")


def at_risk_post(session, author: User, *, reasons=(AT_RISK,), title="A bad night", body="I can't go on"):
    """A thread by `author` whose opening post is reported once per reason, by distinct members."""
    post = opening_post(session, make_thread(session, author, title=title, body=body))
    reports = [report(session, post, make_user(session), reason=r).report for r in reasons]
    session.commit()  # end any read: HTTP requests in the test need the write lock
    return post, reports


def claim_rows(session) -> list[Claim]:
    rows = list(session.scalars(select(Claim).order_by(Claim.post_id)))
    session.commit()
    return rows


def log_actions(session) -> list[tuple[str, str, str]]:
    rows = session.execute(select(ModAction.action, ModAction.moderator_name, ModAction.reason))
    found = [tuple(r) for r in rows]
    session.commit()
    return found


def guidance(level: str) -> str:
    return crisis_resources.current().levels[level].guidance


# --- the service ----------------------------------------------------------------------------------


def test_a_claim_is_held_with_its_level_logged_and_shown_on_the_queue_group(session, author, mod):
    post, [at_risk] = at_risk_post(session, author)

    claims.claim(session, report_id=at_risk.id, moderator=mod, level="high")

    [row] = claim_rows(session)
    assert (row.post_id, row.moderator_id, row.level) == (post.id, mod.id, "high")
    assert log_actions(session) == [("claim", "Mod-Willow", "Level: high")]
    [group] = moderation_queue.queue(session).groups
    assert (group.claim.holder, group.claim.level, group.claim.guidance) == (
        "Mod-Willow",
        "high",
        guidance("high"),
    )


def test_a_second_moderator_is_refused_with_409_naming_who_holds_it(session, author, mod, other_mod):
    _post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="medium")

    with pytest.raises(Conflict) as refused:
        claims.claim(session, report_id=at_risk.id, moderator=other_mod, level="high")

    assert refused.value.message == "Mod-Willow has already taken this on (level: medium)."
    assert [(c.moderator_id, c.level) for c in claim_rows(session)] == [(mod.id, "medium")]
    assert [a for a, *_ in log_actions(session)] == ["claim"]


def test_the_holder_claiming_again_changes_the_level_and_a_repeat_is_harmless(session, author, mod):
    _post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="low")
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="high")
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="high")
    assert [c.level for c in claim_rows(session)] == ["high"]
    assert [r for *_, r in log_actions(session)] == ["Level: low", "Level: high"]


def test_two_moderators_claiming_at_the_same_moment_one_holds_it_one_gets_409(
    session, author, mod, other_mod
):
    _post, [at_risk] = at_risk_post(session, author)
    session.commit()

    def take(moderator_id: int, level: str):
        with db.new_session(write=True) as s:
            moderator = s.get(User, moderator_id)
            s.commit()  # the read is over; the claim takes its own write transaction
            return claims.claim(s, report_id=at_risk.id, moderator=moderator, level=level)

    outcomes = at_once(lambda: take(mod.id, "high"), lambda: take(other_mod.id, "low"))

    assert sorted(type(o).__name__ for o in outcomes) == ["Claim", "Conflict"]
    [won] = [o for o in outcomes if isinstance(o, Claim)]
    [lost] = [o for o in outcomes if isinstance(o, Conflict)]
    winner = "Mod-Willow" if won.moderator_id == mod.id else "Mod-Rowan"
    assert lost.message.startswith(f"{winner} has already taken this on")
    assert [(c.moderator_id, c.level) for c in claim_rows(session)] == [(won.moderator_id, won.level)]
    assert log_actions(session) == [("claim", winner, f"Level: {won.level}")]


def test_release_gives_the_item_back_and_another_moderator_can_claim_it(session, author, mod, other_mod):
    _post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="medium")

    claims.release(session, report_id=at_risk.id, moderator=mod)
    assert claim_rows(session) == []
    assert moderation_queue.queue(session).groups[0].claim is None

    claims.claim(session, report_id=at_risk.id, moderator=other_mod, level="high")
    assert [c.moderator_id for c in claim_rows(session)] == [other_mod.id]
    assert [(a, m) for a, m, _ in log_actions(session)] == [
        ("claim", "Mod-Willow"),
        ("release", "Mod-Willow"),
        ("claim", "Mod-Rowan"),
    ]


def test_only_the_holder_or_an_admin_releases(session, author, mod, other_mod):
    _post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="high")

    with pytest.raises(NotAllowed):
        claims.release(session, report_id=at_risk.id, moderator=other_mod)
    assert len(claim_rows(session)) == 1

    claims.release(session, report_id=at_risk.id, moderator=make_user(session, "Admin-Oak", role="admin"))
    assert claim_rows(session) == []
    assert log_actions(session)[-1] == ("release", "Admin-Oak", "Held by Mod-Willow")


def test_releasing_what_nobody_holds_is_409(session, author, mod):
    _post, [at_risk] = at_risk_post(session, author)
    with pytest.raises(Conflict):
        claims.release(session, report_id=at_risk.id, moderator=mod)


@pytest.mark.parametrize("action", ["dismiss", "hide", "remove"])
def test_deciding_the_reports_ends_the_claim_in_the_same_transaction(session, author, mod, other_mod, action):
    post, [at_risk, unkind] = at_risk_post(session, author, reasons=(AT_RISK, "unkind"))
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="high")

    decisions.decide(session, report_id=unkind.id, moderator=other_mod, action=action)

    assert claim_rows(session) == []


def test_a_new_at_risk_report_after_a_decision_is_a_new_item_free_to_claim(session, author, mod, other_mod):
    post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="high")
    decisions.decide(session, report_id=at_risk.id, moderator=mod, action="dismiss")
    fresh = report(session, post, make_user(session), reason=AT_RISK).report
    session.commit()
    assert moderation_queue.queue(session).groups[0].claim is None
    claims.claim(session, report_id=fresh.id, moderator=other_mod, level="low")
    assert [c.moderator_id for c in claim_rows(session)] == [other_mod.id]


def test_restoring_a_hidden_post_from_the_thread_ends_its_claim(session, author, mod):
    post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="low")
    session.get(Post, post.id).status = "hidden"
    session.commit()
    decisions.restore_post(session, post=post, moderator=mod)
    assert claim_rows(session) == []


def test_a_refused_decision_keeps_the_claim(session, author, mod):
    _post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="low")
    with pytest.raises(Conflict):
        decisions.decide(session, report_id=at_risk.id, moderator=mod, action="restore")  # not hidden
    assert len(claim_rows(session)) == 1


def test_a_claim_on_a_report_that_is_not_at_risk_is_409(session, author, mod):
    _post, [unkind] = at_risk_post(session, author, reasons=("unkind",))
    with pytest.raises(Conflict) as refused:
        claims.claim(session, report_id=unkind.id, moderator=mod, level="high")
    assert refused.value.message == claims.NOT_AT_RISK
    assert claim_rows(session) == [] and log_actions(session) == []


def test_a_claim_on_a_decided_report_is_409(session, author, mod):
    _post, [at_risk] = at_risk_post(session, author)
    decisions.decide(session, report_id=at_risk.id, moderator=mod, action="dismiss")
    with pytest.raises(Conflict) as refused:
        claims.claim(session, report_id=at_risk.id, moderator=mod, level="high")
    assert refused.value.message == claims.DECIDED
    assert claim_rows(session) == []


@pytest.mark.parametrize("level", ["", "urgent", "HIGH", "critical"])
def test_an_unknown_level_is_422(session, author, mod, level):
    _post, [at_risk] = at_risk_post(session, author)
    with pytest.raises(InvalidInput) as refused:
        claims.claim(session, report_id=at_risk.id, moderator=mod, level=level)
    assert "level" in refused.value.fields
    assert claim_rows(session) == []


def test_a_member_and_a_paused_moderator_cannot_claim_or_release(session, author, mod):
    _post, [at_risk] = at_risk_post(session, author)
    with pytest.raises(NotAllowed):
        claims.claim(session, report_id=at_risk.id, moderator=make_user(session), level="high")
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="high")
    mod.suspended_until = utcnow() + timedelta(days=1)
    session.commit()
    paused = make_moderator(session)
    paused.suspended_until = utcnow() + timedelta(days=1)
    session.commit()
    with pytest.raises(NotAllowed) as refused:
        claims.claim(session, report_id=at_risk.id, moderator=paused, level="low")
    assert "paused until" in refused.value.message
    with pytest.raises(NotAllowed):
        claims.release(session, report_id=at_risk.id, moderator=mod)
    assert len(claim_rows(session)) == 1


def test_an_unknown_report_is_404(session, mod):
    with pytest.raises(NotFound):
        claims.claim(session, report_id=424242, moderator=mod, level="low")


def test_the_moderators_claims_are_in_their_export_and_go_with_their_account(session, author, mod):
    post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="medium")

    [exported] = membership.export(session, user=mod)["at_risk_items_claimed"]
    assert (exported["post_id"], exported["level"]) == (post.id, "medium")
    assert membership.export(session, user=author)["at_risk_items_claimed"] == []

    membership.erase(session, user=mod, passphrase=PASSPHRASE, erase_posts=False)
    assert claim_rows(session) == []
    # The log keeps what was done, under the name at the time.
    assert [(a, m) for a, m, _ in log_actions(session)] == [("claim", "Mod-Willow")]
    assert moderation_queue.queue(session).groups[0].claim is None


def test_the_queue_reads_every_groups_claim_in_one_query(session, author, mod):
    def statements_for_queue() -> int:
        sent = queries.count(lambda: moderation_queue.queue(session))
        session.commit()
        return sent

    _post, [first] = at_risk_post(session, author)
    claims.claim(session, report_id=first.id, moderator=mod, level="low")
    one_claim = statements_for_queue()
    for n in range(4):
        _p, [r] = at_risk_post(session, make_user(session), title=f"More {n}")
        claims.claim(session, report_id=r.id, moderator=mod, level="high")
    at_risk_post(session, author, title="Unclaimed")
    at_risk_post(session, author, reasons=("spam",), title="Not urgent")
    assert statements_for_queue() == one_claim
    groups = moderation_queue.queue(session).groups
    assert sum(g.claim is not None for g in groups) == 5


# --- HTTP -----------------------------------------------------------------------------------------


def test_an_urgent_group_offers_three_levels_with_the_operators_guidance(session, author, mod, browsers):
    post, [at_risk] = at_risk_post(session, author)
    calm, _ = at_risk_post(session, author, reasons=("unkind",), title="Calm one")
    page = browsers("Mod-Willow").get("/mod").text
    form = one(by_id(page, f"report-group-p{post.id}-claim"), "form")
    assert form["action"] == f"/mod/reports/{at_risk.id}/claim"
    assert [r["value"] for r in form.select('input[type="radio"][name="level"]')] == ["low", "medium", "high"]
    for level in ("low", "medium", "high"):
        hint = by_id(form, f"report-group-p{post.id}-level-{level}-hint")
        assert hint.get_text() == guidance(level)
    assert not by_id(page, f"report-group-p{calm.id}").select(".claim")


def test_claim_without_js_answers_303_to_the_queue_which_shows_the_holder_and_guidance(
    session, author, mod, other_mod, browsers
):
    post, [at_risk] = at_risk_post(session, author)
    moderator = browsers("Mod-Willow")
    response = moderator.post(
        f"/mod/reports/{at_risk.id}/claim", data={"level": "high", "csrf_token": csrf_of(moderator, "/mod")}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/mod#report-group-p{post.id}"
    block = by_id(browsers("Mod-Rowan").get("/mod").text, f"report-group-p{post.id}-claim")
    text = " ".join(block.get_text(" ").split())
    assert "Mod-Willow is reaching out to the author · level: high" in text
    assert guidance("high") in text
    assert not block.select("form")  # neither a claim form nor a release button for another moderator
    mine = by_id(moderator.get("/mod").text, f"report-group-p{post.id}-claim")
    assert one(mine, "form")["action"] == f"/mod/reports/{at_risk.id}/release"
    log_page = " ".join(moderator.get("/mod/log").text.split())
    assert "<strong>Mod-Willow</strong> claimed, to reach out to its author, <a" in log_page
    assert "by Author-Two" in log_page and "Why: Level: high" in log_page


def test_claim_with_htmx_answers_the_group_with_the_claim_shown(session, author, mod, browsers):
    post, [at_risk] = at_risk_post(session, author)
    moderator = browsers("Mod-Willow")
    response = moderator.post(
        f"/mod/reports/{at_risk.id}/claim", data={"level": "low"}, headers=htmx(csrf_of(moderator, "/mod"))
    )
    assert response.status_code == 200 and response.headers["Vary"] == "HX-Request"
    assert root(response.text) == f"section#report-group-p{post.id}"
    claim = text_of(response.text, f"report-group-p{post.id}-claim")
    assert "Mod-Willow is reaching out to the author · level: low" in claim and guidance("low") in claim


def test_two_moderators_claiming_over_http_at_once_one_wins_one_gets_409_naming_them(
    session, author, mod, other_mod, browsers
):
    post, [at_risk] = at_risk_post(session, author)
    first, second = browsers("Mod-Willow"), browsers("Mod-Rowan")
    first_token, second_token = csrf_of(first, "/mod"), csrf_of(second, "/mod")
    path = f"/mod/reports/{at_risk.id}/claim"

    plain, fragment = at_once(
        lambda: first.post(path, data={"level": "high", "csrf_token": first_token}),
        lambda: second.post(path, data={"level": "medium"}, headers=htmx(second_token)),
    )

    [held] = claim_rows(session)
    if held.moderator_id == mod.id:
        assert plain.status_code == 303
        assert fragment.status_code == 409
        assert fragment.headers["HX-Retarget"] == f"#report-group-p{post.id}"
        assert "Mod-Willow has already taken this on (level: high)." in fragment.text
    else:
        assert fragment.status_code == 200 and root(fragment.text) == f"section#report-group-p{post.id}"
        assert plain.status_code == 409 and "Mod-Rowan has already taken this on" in plain.text
    assert len(log_actions(session)) == 1


def test_a_late_claim_over_http_is_409_and_the_fragment_shows_who_holds_it(
    session, author, mod, other_mod, browsers
):
    post, [at_risk] = at_risk_post(session, author)
    claims.claim(session, report_id=at_risk.id, moderator=mod, level="medium")
    second = browsers("Mod-Rowan")
    token = csrf_of(second, "/mod")
    plain = second.post(f"/mod/reports/{at_risk.id}/claim", data={"level": "high", "csrf_token": token})
    assert plain.status_code == 409 and "Mod-Willow has already taken this on (level: medium)." in plain.text
    fragment = second.post(f"/mod/reports/{at_risk.id}/claim", data={"level": "high"}, headers=htmx(token))
    assert fragment.status_code == 409 and root(fragment.text) == f"section#report-group-p{post.id}"
    assert "Mod-Willow is reaching out" in text_of(fragment.text, f"report-group-p{post.id}-claim")


def test_release_over_http_without_js_and_with_htmx_offers_the_claim_form_again(
    session, author, mod, browsers
):
    post, [at_risk] = at_risk_post(session, author)
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, "/mod")
    path = f"/mod/reports/{at_risk.id}"
    assert moderator.post(f"{path}/claim", data={"level": "low", "csrf_token": token}).status_code == 303
    released = moderator.post(f"{path}/release", data={"csrf_token": token})
    assert released.status_code == 303 and released.headers["location"] == f"/mod#report-group-p{post.id}"
    assert claim_rows(session) == []

    assert moderator.post(f"{path}/claim", data={"level": "low"}, headers=htmx(token)).status_code == 200
    fragment = moderator.post(f"{path}/release", headers=htmx(token))
    assert fragment.status_code == 200 and root(fragment.text) == f"section#report-group-p{post.id}"
    claim_form = one(by_id(fragment.text, f"report-group-p{post.id}-claim"), "form")
    assert claim_form["action"] == f"{path}/claim"


def test_an_unknown_level_over_http_is_422_with_the_claim_form_back(session, author, mod, browsers):
    post, [at_risk] = at_risk_post(session, author)
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, "/mod")
    path = f"/mod/reports/{at_risk.id}/claim"
    plain = moderator.post(path, data={"level": "critical", "csrf_token": token})
    assert plain.status_code == 422 and "Choose a level: low, medium or high." in plain.text
    assert one(by_id(plain.text, f"report-group-p{post.id}-claim"), "form")["action"] == path
    fragment = moderator.post(path, data={"level": ""}, headers=htmx(token))
    assert fragment.status_code == 422 and fragment.headers["HX-Retarget"] == f"#report-group-p{post.id}"
    assert by_id(fragment.text, f"report-group-p{post.id}-level-error")
    assert claim_rows(session) == []


def test_claim_and_release_over_http_refuse_a_member_with_403(session, author, browsers):
    _post, [at_risk] = at_risk_post(session, author)
    member = browsers("Author-Two")
    token = csrf_of(member)
    for action in ("claim", "release"):
        refused = member.post(
            f"/mod/reports/{at_risk.id}/{action}", data={"level": "high", "csrf_token": token}
        )
        assert refused.status_code == 403
    assert claim_rows(session) == []


def test_a_claim_over_http_on_a_report_that_is_not_at_risk_or_decided_is_409(session, author, mod, browsers):
    _post, [unkind] = at_risk_post(session, author, reasons=("unkind",))
    _other, [at_risk] = at_risk_post(session, author, title="Decided")
    decisions.decide(session, report_id=at_risk.id, moderator=mod, action="dismiss")
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, "/mod")
    for report_id, words in ((unkind.id, claims.NOT_AT_RISK), (at_risk.id, claims.DECIDED)):
        refused = moderator.post(
            f"/mod/reports/{report_id}/claim", data={"level": "high", "csrf_token": token}
        )
        assert refused.status_code == 409 and words in refused.text
    assert claim_rows(session) == []


def test_a_decision_over_http_ends_the_claim(session, author, mod, browsers):
    post, [at_risk] = at_risk_post(session, author)
    moderator = browsers("Mod-Willow")
    token = csrf_of(moderator, "/mod")
    moderator.post(f"/mod/reports/{at_risk.id}/claim", data={"level": "high", "csrf_token": token})
    done = moderator.post(f"/mod/reports/{at_risk.id}", data={"action": "dismiss", "csrf_token": token})
    assert done.status_code == 303 and claim_rows(session) == []
    assert load(Post, post.id).status == "visible"


def test_the_queue_page_sends_as_many_statements_for_one_claimed_group_as_for_many(
    session, author, mod, browsers
):
    moderator = browsers("Mod-Willow")

    def statements_for_page() -> int:
        with queries.statements() as seen:
            assert moderator.get("/mod").status_code == 200
        return len(seen)

    _post, [first] = at_risk_post(session, author)
    claims.claim(session, report_id=first.id, moderator=mod, level="low")
    one_claim = statements_for_page()
    for n in range(3):
        _p, [r] = at_risk_post(session, make_user(session), title=f"More {n}")
        claims.claim(session, report_id=r.id, moderator=mod, level="medium")
    at_risk_post(session, author, title="Unclaimed")
    assert statements_for_page() == one_claim
