"""All tables, imported together so the metadata is complete (Alembic reads it)."""

from app.models.appeal import Appeal, AppealStatus
from app.models.base import metadata, utcnow
from app.models.claim import CLAIM_LEVELS, Claim
from app.models.forum import Category, Post, PostStatus, Thread
from app.models.history import PostVersion
from app.models.moderation import ModAction, Report, ReportStatus
from app.models.mute import Mute
from app.models.notice import Notice
from app.models.reaction import Reaction, ReactionKind
from app.models.reading_state import ReadMarker
from app.models.talk import Conversation, ConversationStatus, TalkMessage
from app.models.user import FORMER_MEMBER, HeldPseudonym, LoginSession, Role, User, is_moderator_role

__all__ = [
    "Appeal",
    "AppealStatus",
    "CLAIM_LEVELS",
    "Claim",
    "FORMER_MEMBER",
    "Category",
    "Conversation",
    "ConversationStatus",
    "HeldPseudonym",
    "LoginSession",
    "ModAction",
    "Mute",
    "Notice",
    "Post",
    "PostStatus",
    "PostVersion",
    "Reaction",
    "ReadMarker",
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
