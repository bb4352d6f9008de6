"""add content-note kinds (post, thread) and each reader's choices (user.note_choices)

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-01

`post.content_note_kinds`: the kinds from the fixed list (content_notes.KINDS), comma-separated;
`thread.content_note_kinds` copies the opening post's, so thread lists need no query per row.
`user.note_choices`: the reader's fold/show/hide per kind, only those not left at fold.
Every existing free-text note becomes kind `other` with its text kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ALTER TABLE, not a batch copy: copying `post` on SQLite would break the search triggers
# of 0020 that name it (as in 0023).
COLUMNS = (
    ("post", "content_note_kinds", 80),
    ("thread", "content_note_kinds", 80),
    ("user", "note_choices", 200),
)


def upgrade() -> None:
    for table, name, length in COLUMNS:
        op.add_column(table, sa.Column(name, sa.String(length), nullable=False, server_default=""))
    op.execute("UPDATE post SET content_note_kinds = 'other' WHERE content_note <> ''")
    op.execute(
        "UPDATE thread SET content_note_kinds = 'other' WHERE id IN "
        "(SELECT thread_id FROM post WHERE position = 0 AND content_note <> '')"
    )


def downgrade() -> None:
    # The free text stays in post.content_note; only the kinds and the readers' choices go.
    for table, name, _length in reversed(COLUMNS):
        op.drop_column(table, name)
