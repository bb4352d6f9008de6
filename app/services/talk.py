"""The private line between one member and the moderator team: conversations and their messages.

Members never see which moderator wrote ("a moderator": the team speaks). Every message is
added in the transaction that logs it (who and when, never the words). One open conversation
per member (a partial unique index); a closed one stays readable, and the next message opens
a new one. "Urgent" (first in /mod/talk): opened from a post with an open at-risk report, or
the member ticked "I need help soon" on any message of it.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.errors import Conflict, InvalidInput, NotFound
from app.models import Conversation, ConversationStatus, Post, Report, ReportStatus, TalkMessage, User, utcnow
from app.services import moderation_log, standing, text
from app.services.moderation_actions import TALK_ANSWER, TALK_CLOSE, TALK_MEMBER, TALK_REACH_OUT
from app.services.reporting import AT_RISK

MAX_MESSAGE = text.MAX_BODY  # capped like posts: rendering cost grows with length
TEAM_NAME = "A moderator"  # how every moderator's message is signed to the member
FORMER_MODERATOR = "A former moderator"
INBOX_SIZE = 100


@dataclass(frozen=True)
class Line:
    """One message as one reader sees it (plain values)."""

    id: int
    from_team: bool
    speaker: str
    body_html: str
    created_at: datetime


@dataclass(frozen=True)
class Talk:
    """A conversation as one reader sees it; `conversation` is None before the first message."""

    conversation: Conversation | None
    lines: list[Line]
    member_name: str = ""  # for moderators only
    about_thread_id: int | None = None  # the post a moderator reached out about, if any
    about_post_id: int | None = None
    about_title: str = ""

    @property
    def closed(self) -> bool:
        return self.conversation is not None and self.conversation.status == ConversationStatus.closed


@dataclass(frozen=True)
class InboxItem:
    id: int
    member_name: str
    urgent: bool
    awaiting_team: bool
    created_at: datetime
    last_message_at: datetime


# --- reading ---------------------------------------------------------------------------------


def unread_count(session: Session, *, member_id: int) -> int:
    """The team's messages the member has not read: one indexed query, for the header."""
    total = session.scalar(
        select(func.coalesce(func.sum(Conversation.member_unread), 0)).where(
            Conversation.member_id == member_id
        )
    )
    return int(total or 0)


def _with_messages(query):
    return query.options(
        selectinload(Conversation.member),
        selectinload(Conversation.post).selectinload(Post.thread),
    )


def _messages(session: Session, conversation_id: int) -> list[TalkMessage]:
    return list(
        session.scalars(
            select(TalkMessage)
            .where(TalkMessage.conversation_id == conversation_id)
            .options(selectinload(TalkMessage.author))
            .order_by(TalkMessage.id)
        )
    )


def _talk(session: Session, conversation: Conversation, *, for_team: bool) -> Talk:
    lines = []
    for m in _messages(session, conversation.id):
        if not m.from_team:
            speaker = conversation.member.pseudonym if for_team else "You"
        elif for_team:
            speaker = m.author.pseudonym if m.author else FORMER_MODERATOR
        else:
            speaker = TEAM_NAME
        lines.append(Line(m.id, m.from_team, speaker, m.body_html, m.created_at))
    post = conversation.post
    return Talk(
        conversation=conversation,
        lines=lines,
        member_name=conversation.member.pseudonym if for_team else "",
        about_thread_id=post.thread_id if post else None,
        about_post_id=post.id if post else None,
        about_title=post.thread.title if post else "",
    )


def member_talk(session: Session, *, member: User) -> Talk:
    """The member's open conversation, or their latest closed one; read-only (4 queries)."""
    conversation = session.scalar(
        _with_messages(select(Conversation))
        .where(Conversation.member_id == member.id)
        .order_by((Conversation.status == ConversationStatus.open).desc(), Conversation.id.desc())
        .limit(1)
    )
    if conversation is None:
        return Talk(conversation=None, lines=[])
    return _talk(session, conversation, for_team=False)


def read_by_member(session: Session, *, member: User) -> Talk:
    """member_talk, then the team's messages count as read (their own short write, after the read)."""
    talk = member_talk(session, member=member)
    session.commit()  # end the read before writing, so SQLite never upgrades a stale read to a write
    if talk.conversation is not None and talk.conversation.member_unread:
        session.execute(
            update(Conversation).where(Conversation.member_id == member.id).values(member_unread=0)
        )
        session.commit()
    return talk


def inbox(session: Session) -> list[InboxItem]:
    """Open conversations, urgent first, then oldest first; one query."""
    rows = session.execute(
        select(Conversation, User.pseudonym)
        .join(User, User.id == Conversation.member_id)
        .where(Conversation.status == ConversationStatus.open)
        .order_by(Conversation.urgent.desc(), Conversation.created_at, Conversation.id)
        .limit(INBOX_SIZE)
    ).all()
    return [
        InboxItem(c.id, name, c.urgent, c.awaiting_team, c.created_at, c.last_message_at) for c, name in rows
    ]


def _load(session: Session, conversation_id: int) -> Conversation:
    conversation = session.scalar(
        _with_messages(select(Conversation)).where(Conversation.id == conversation_id)
    )
    if conversation is None:
        raise NotFound("That conversation does not exist, or the member's account was erased.")
    return conversation


def team_talk(session: Session, conversation_id: int) -> Talk:
    """One conversation as the moderators read it (404 if unknown)."""
    return _talk(session, _load(session, conversation_id), for_team=True)


# --- writing ---------------------------------------------------------------------------------


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
        Conversation.member_id == member.id, Conversation.status == ConversationStatus.open
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
    conversation = _load(session, conversation_id)
    body = _clean(body)
    if conversation.status == ConversationStatus.closed:
        raise Conflict(
            "This conversation is closed. The member can start a new one; you can reach out again."
        )
    _add(session, conversation, body=body, author=moderator, from_team=True, now=now)
    moderation_log.record(
        session, action=TALK_ANSWER, moderator=moderator, target=conversation.member, now=now
    )
    session.commit()
    return team_talk(session, conversation_id)


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
        .where(Report.post_id == post.id, Report.status == ReportStatus.open, Report.reason == AT_RISK)
    )
    conversation = _open_conversation(session, member=post.author, now=now)
    conversation.post_id = conversation.post_id or post.id
    conversation.urgent = conversation.urgent or bool(at_risk)
    _add(session, conversation, body=body, author=moderator, from_team=True, now=now)
    moderation_log.record(
        session, action=TALK_REACH_OUT, moderator=moderator, post=post, target=post.author, now=now
    )
    session.commit()
    return conversation


def team_acts(session: Session, *, conversation_id: int, moderator: User, action: str, body: str) -> Talk:
    """`action=close` closes; an empty action (or `answer`) answers with `body`."""
    if action == "close":
        return close(session, conversation_id=conversation_id, moderator=moderator)
    if action not in ("", "answer"):
        raise InvalidInput("That is not something a moderator can do here. Nothing was sent.")
    return team_answers(session, conversation_id=conversation_id, moderator=moderator, body=body)


def close(session: Session, *, conversation_id: int, moderator: User) -> Talk:
    """Closes it, with its log note; closing a closed conversation answers 409."""
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    conversation = _load(session, conversation_id)
    if conversation.status == ConversationStatus.closed:
        raise Conflict("Another moderator already closed this conversation.")
    conversation.status = ConversationStatus.closed
    conversation.closed_at = now
    conversation.awaiting_team = False
    moderation_log.record(
        session, action=TALK_CLOSE, moderator=moderator, target=conversation.member, now=now
    )
    session.commit()
    return team_talk(session, conversation_id)


def export(session: Session, *, member: User) -> list[dict]:
    """The member's conversations with their words; moderators are "a moderator" here too."""
    conversations = session.scalars(
        select(Conversation).where(Conversation.member_id == member.id).order_by(Conversation.id)
    ).all()
    ids = [c.id for c in conversations]
    messages: dict[int, list[dict]] = {i: [] for i in ids}
    for m in session.scalars(
        select(TalkMessage).where(TalkMessage.conversation_id.in_(ids)).order_by(TalkMessage.id)
    ):
        messages[m.conversation_id].append(
            {
                "from": "moderators" if m.from_team else "you",
                "body": m.body_source,
                "sent": m.created_at.isoformat(),
            }
        )
    return [
        {
            "status": c.status,
            "urgent": c.urgent,
            "started": c.created_at.isoformat(),
            "closed": c.closed_at.isoformat() if c.closed_at else None,
            "messages": messages[c.id],
        }
        for c in conversations
    ]
