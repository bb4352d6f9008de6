"""The private line to the moderator team: a member's /talk, and the moderators' /mod/talk."""

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import db
from app.deps import CSRF, CurrentUser, ModeratorUser, RowId, SessionDep, Text
from app.services import conversations, ratelimit, talk
from app.web import FormSpec, keep_form, render, see_other, wants_fragment

router = APIRouter()
TALK_FORM = FormSpec(page="pages/talk.html", partial="partials/talk.html", target="talk")
ANSWER_FORM = FormSpec(
    page="pages/mod_talk_conversation.html",
    partial="partials/mod_talk.html",
    target="talk-c{talk.conversation.id}",
)
REACH_OUT_FORM = FormSpec(
    page="pages/mod_reach_out.html", partial="partials/reach_out.html", target="reach-out-p{post_id}"
)


@router.get("/talk", name="talk:show")
def show(request: Request, session: SessionDep, member: CurrentUser) -> Response:
    view = talk.read_by_member(session, member=member)
    # Everything is shown on this page, so nothing is unread any more (the header was counted before).
    ctx = {"talk": view, "talk_unread": 0, "notices_unread": member.notices_unread}
    return render(request, "pages/talk.html", ctx)


@router.post("/talk", name="talk:write", dependencies=[CSRF])
def write(
    request: Request, session: SessionDep, member: CurrentUser, body: Text = "", soon: Text = ""
) -> Response:
    shown = partial(db.read, partial(conversations.member_talk, member=member))  # read only for an error
    keep_form(request, TALK_FORM, talk=shown, body=body, soon=soon)
    ratelimit.talk(user=member)
    talk.member_writes(session, member=member, body=body, soon=soon == "on")
    if wants_fragment(request):
        view = conversations.member_talk(session, member=member)
        return render(request, "partials/talk.html", {"talk": view})
    return see_other(request, "talk:show", anchor="talk-form")


@router.get("/mod/talk", name="mod:talk")
def inbox(request: Request, session: SessionDep, moderator: ModeratorUser) -> Response:
    return render(request, "pages/mod_talk.html", {"inbox": conversations.inbox(session)})


@router.post("/mod/talk", name="mod:reach_out", dependencies=[CSRF])
def reach_out(
    request: Request, session: SessionDep, moderator: ModeratorUser, post_id: Text = "", body: Text = ""
) -> Response:
    keep_form(request, REACH_OUT_FORM, post_id=post_id, reach_out_for=post_id, body=body)
    conversation = talk.reach_out(session, post_id=post_id, moderator=moderator, body=body)
    if wants_fragment(request):
        return render(request, "partials/reach_out.html", {"post_id": post_id, "reach_sent": conversation.id})
    return see_other(request, "mod:talk_show", conversation_id=conversation.id, anchor="talk-end")


@router.get("/mod/talk/{conversation_id:int}", name="mod:talk_show")
def conversation(
    request: Request, session: SessionDep, moderator: ModeratorUser, conversation_id: RowId
) -> Response:
    view = conversations.team_talk(session, conversation_id)
    return render(request, "pages/mod_talk_conversation.html", {"talk": view})


@router.post("/mod/talk/{conversation_id:int}", name="mod:talk_act", dependencies=[CSRF])
def act(
    request: Request,
    session: SessionDep,
    moderator: ModeratorUser,
    conversation_id: RowId,
    body: Text = "",
    action: Text = "",
) -> Response:
    shown = partial(db.read, conversations.team_talk, conversation_id)  # read only for an error
    keep_form(request, ANSWER_FORM, talk=shown, body=body)
    view = talk.team_acts(
        session, conversation_id=conversation_id, moderator=moderator, action=action, body=body
    )
    if wants_fragment(request):
        return render(request, "partials/mod_talk.html", {"talk": view})
    if view.closed:
        return see_other(request, "mod:talk")
    return see_other(request, "mod:talk_show", conversation_id=conversation_id, anchor="talk-end")
