"""What the private line's readers see: a member their conversation, moderators the open ones (a read model).

Members never see which moderator wrote ("a moderator": the team speaks); moderators see who
of them answered. The commands that change conversations live in services/talk.py.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app import db
from app.errors import NotFound
from app.models import Conversation, ConversationStatus, Post, TalkMessage, User
from app.services import reading

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
    about_page_cursor: int | None = None  # the `after` of the thread page that holds the post

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


def unread_count(session: Session, *, member_id: int) -> int:
    """The team's messages the member has not read: one indexed query."""
    return int(session.scalar(select(unread_total(member_id))) or 0)


def unread_total(member_id):
    """The same count as a scalar subquery, for a member id or a column (the header's sign-in query)."""
    return (
        select(func.coalesce(func.sum(Conversation.member_unread), 0))
        .where(Conversation.member_id == member_id)
        .scalar_subquery()
    )


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
        about_page_cursor=reading.page_start_for(post.position) if post else None,
    )


def member_talk(session: Session, *, member: User) -> Talk:
    """The member's open conversation, or their latest closed one; read-only (4 queries)."""
    conversation = session.scalar(
        _with_messages(select(Conversation))
        .where(Conversation.member_id == member.id)
        .order_by((Conversation.status == ConversationStatus.open).desc(), Conversation.id.desc())
        .limit(db.row_limit(1))
    )
    if conversation is None:
        return Talk(conversation=None, lines=[])
    return _talk(session, conversation, for_team=False)


def inbox(session: Session) -> list[InboxItem]:
    """Open conversations, urgent first, then oldest first; one query."""
    rows = session.execute(
        select(Conversation, User.pseudonym)
        .join(User, User.id == Conversation.member_id)
        .where(Conversation.status == db.constant(ConversationStatus.open))
        .order_by(Conversation.urgent.desc(), Conversation.created_at, Conversation.id)
        .limit(db.row_limit(INBOX_SIZE))
    ).all()
    return [
        InboxItem(c.id, name, c.urgent, c.awaiting_team, c.created_at, c.last_message_at) for c, name in rows
    ]


def load(session: Session, conversation_id: int) -> Conversation:
    conversation = session.scalar(
        _with_messages(select(Conversation)).where(Conversation.id == conversation_id)
    )
    if conversation is None:
        raise NotFound("That conversation does not exist, or the member's account was erased.")
    return conversation


def team_talk(session: Session, conversation_id: int) -> Talk:
    """One conversation as the moderators read it (404 if unknown)."""
    return _talk(session, load(session, conversation_id), for_team=True)


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
