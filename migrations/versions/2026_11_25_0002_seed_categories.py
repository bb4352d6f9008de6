"""seed the five categories

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = [
    ("stories", "Stories", "Where you have been and where you are now, told your way.", 1),
    ("coping-tips", "Coping tips", "What gets you through a craving, a bad day or a long night.", 2),
    ("milestones", "Milestones", "A day, a week, a year: every step counts here.", 3),
    ("need-support-now", "Need support now", "Struggling right now? Say so. Peers will answer.", 4),
    ("general", "General", "Everything else about living in recovery.", 5),
]

category = sa.table(
    "category",
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.String),
    sa.column("position", sa.Integer),
)


def upgrade() -> None:
    op.bulk_insert(
        category,
        [{"slug": s, "name": n, "description": d, "position": p} for s, n, d, p in CATEGORIES],
    )


def downgrade() -> None:
    op.execute(category.delete().where(category.c.slug.in_([c[0] for c in CATEGORIES])))
