"""All tables, imported together so the metadata is complete (Alembic reads it)."""

from app.models.base import metadata, utcnow
from app.models.forum import Category, Post, PostStatus, Thread
from app.models.moderation import ModAction, Report, ReportStatus
from app.models.reaction import Reaction, ReactionKind
from app.models.talk import Conversation, ConversationStatus, TalkMessage
from app.models.user import FORMER_MEMBER, HeldPseudonym, LoginSession, Role, User, is_moderator_role

__all__ = [
    "FORMER_MEMBER",
    "Category",
    "Conversation",
    "ConversationStatus",
    "HeldPseudonym",
    "LoginSession",
    "ModAction",
    "Post",
    "PostStatus",
    "Reaction",
    "ReactionKind",
    "Report",
    "ReportStatus",
    "Role",
    "TalkMessage",
    "Thread",
    "User",
    "is_moderator_role",
    "metadata",
    "utcnow",
]
