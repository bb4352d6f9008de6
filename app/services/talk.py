"""The private line between one member and the moderator team: what members and moderators do.

Every message is added in the transaction that logs it (who and when, never the words). One
open conversation per member (a partial unique index); a closed one stays readable, and the
next message opens a new one. "Urgent" (first in /mod/talk): opened from a post with an open
at-risk report, or the member ticked "I need help soon" on any message of it. What readers see
is services/conversations.py.
"""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app import db
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Conversation, ConversationStatus, Post, Report, ReportStatus, TalkMessage, User, utcnow
from app.services import conversations, moderation_log, notices, standing, text
from app.services.conversations import Talk
from app.services.moderation_actions import TALK_ANSWER, TALK_CLOSE, TALK_MEMBER, TALK_REACH_OUT
from app.services.reporting import AT_RISK

MAX_MESSAGE = text.MAX_BODY  # capped like posts: rendering cost grows with length


def read_by_member(session: Session, *, member: User) -> Talk:
    """member_talk, then the team's messages and their notice count as read (a short write after)."""
    talk = conversations.member_talk(session, member=member)
    session.commit()  # end the read before writing, so SQLite never upgrades a stale read to a write
    if talk.conversation is not None and talk.conversation.member_unread:
        db.writes_next(session)
        session.execute(
            update(Conversation).where(Conversation.member_id == member.id).values(member_unread=0)
        )
        # The notice of these messages is read with them (member.notices_unread follows).
        notices.seen_group(session, user=member, group_key=notices.TALK_GROUP)
        session.commit()
    return talk


def _clean(body: str) -> str:
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("Nothing was sent.", fields={"body": "Please write something before sending."})
    if len(body) > MAX_MESSAGE:
        raise InvalidInput(
            "Nothing was sent yet. Your words are still here.",
            fields={"body": f"Messages can be up to {MAX_MESSAGE:,} characters; this one has {len(body):,}."},
        )
    return body


def _open_conversation(session: Session, *, member: User, now: datetime) -> Conversation:
    """The member's open conversation, made if there is none; the unique index decides a race."""
    query = select(Conversation).where(
        Conversation.member_id == member.id, Conversation.status == db.constant(ConversationStatus.open)
    )
    found = session.scalar(query)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            conversation = Conversation(member_id=member.id, created_at=now, last_message_at=now)
            session.add(conversation)
    except IntegrityError:  # another request of the same member opened it first
        return session.scalar(query)
    return conversation


def _add(session: Session, conversation: Conversation, *, body: str, author: User, from_team: bool, now):
    session.add(
        TalkMessage(
            conversation_id=conversation.id,
            from_team=from_team,
            author_id=author.id,
            body_source=body,
            body_html=text.render_markdown(body),
            sanitizer_version=text.SANITIZER_VERSION,
            created_at=now,
        )
    )
    # Counters in SQL, in this transaction: the header count never drifts from the messages.
    unread = Conversation.member_unread + 1 if from_team else Conversation.member_unread
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_message_at=now, awaiting_team=not from_team, member_unread=unread)
    )


def _tell_member(session: Session, *, member_id: int, moderator: User, now: datetime) -> None:
    """A notice grouped per member while unread ("The moderators wrote to you 2 times"); never who."""
    notices.notify(
        session,
        user_id=member_id,
        kind="team_answer",
        actor_id=moderator.id,
        group_key=notices.TALK_GROUP,
        now=now,
    )


def member_writes(session: Session, *, member: User, body: str, soon: bool = False) -> Conversation:
    """A member's message to the team, with its log note; one transaction. Paused members may write."""
    body = _clean(body)
    now = utcnow()
    conversation = _open_conversation(session, member=member, now=now)
    if soon:
        conversation.urgent = True
    _add(session, conversation, body=body, author=member, from_team=False, now=now)
    moderation_log.record(session, action=TALK_MEMBER, moderator=None, target=member, now=now)
    session.commit()
    return conversation


def team_answers(session: Session, *, conversation_id: int, moderator: User, body: str) -> Talk:
    """A moderator's answer, with its log note; one transaction. A closed conversation answers 409."""
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    conversation = conversations.load(session, conversation_id)
    body = _clean(body)
    if conversation.status == ConversationStatus.closed:
        raise Conflict(
            "This conversation is closed. The member can start a new one; you can reach out again."
        )
    _add(session, conversation, body=body, author=moderator, from_team=True, now=now)
    moderation_log.record(
        session, action=TALK_ANSWER, moderator=moderator, target=conversation.member, now=now
    )
    _tell_member(session, member_id=conversation.member_id, moderator=moderator, now=now)
    session.commit()
    return conversations.team_talk(session, conversation_id)


def reach_out(session: Session, *, post_id: str, moderator: User, body: str) -> Conversation:
    """A moderator writes to a post's author (joins their open conversation); one transaction."""
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    number = int(post_id) if post_id.isdigit() and len(post_id) < 10 else 0
    post = session.scalar(select(Post).where(Post.id == number).options(selectinload(Post.author)))
    if post is None:
        raise NotFound("That post does not exist.")
    if post.author is None:
        raise Conflict("The author's account was erased: there is nobody to write to.")
    body = _clean(body)
    at_risk = session.scalar(
        select(func.count())
        .select_from(Report)
        .where(
            Report.post_id == post.id,
            Report.status == db.constant(ReportStatus.open),
            Report.reason == AT_RISK,
        )
    )
    conversation = _open_conversation(session, member=post.author, now=now)
    conversation.post_id = conversation.post_id or post.id
    conversation.urgent = conversation.urgent or bool(at_risk)
    _add(session, conversation, body=body, author=moderator, from_team=True, now=now)
    moderation_log.record(
        session, action=TALK_REACH_OUT, moderator=moderator, post=post, target=post.author, now=now
    )
    _tell_member(session, member_id=post.author_id, moderator=moderator, now=now)
    session.commit()
    return conversation


def team_acts(session: Session, *, conversation_id: int, moderator: User, action: str, body: str) -> Talk:
    """`action=close` closes; an empty action (or `answer`) answers with `body`."""
    # Standing first: a paused moderator is told they are paused, whatever the action says.
    standing.ensure_can_moderate(moderator, utcnow())
    if action == "close":
        return close(session, conversation_id=conversation_id, moderator=moderator)
    if action not in ("", "answer"):
        raise InvalidInput("That is not something a moderator can do here. Nothing was sent.")
    return team_answers(session, conversation_id=conversation_id, moderator=moderator, body=body)


def close(session: Session, *, conversation_id: int, moderator: User) -> Talk:
    """Closes it, with its log note; closing a closed conversation answers 409."""
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    conversation = conversations.load(session, conversation_id)
    if conversation.status == ConversationStatus.closed:
        raise Conflict("Another moderator already closed this conversation.")
    conversation.status = ConversationStatus.closed
    conversation.closed_at = now
    conversation.awaiting_team = False
    moderation_log.record(
        session, action=TALK_CLOSE, moderator=moderator, target=conversation.member, now=now
    )
    session.commit()
    return conversations.team_talk(session, conversation_id)
