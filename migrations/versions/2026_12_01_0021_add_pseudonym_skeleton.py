"""add the pseudonym skeleton (UTS #39) as the uniqueness key, and names held after an erasure

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01

`user.pseudonym_skeleton` is backfilled from each stored name, oldest account first. Two
existing accounts whose names already looked alike both keep their names: the later one's
`skeleton_twin` is its own id (0 for everyone else), so the unique index over
(pseudonym_skeleton, skeleton_twin) holds while a new look-alike of either is refused.

`held_pseudonym` keeps an HMAC of an erased name's skeleton and the date it frees: not the
member's data any more, so not erased with an account (it outlives it by design), in no export,
on no page.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.services.pseudonyms import skeleton

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill() -> None:
    bind = op.get_bind()
    users = sa.table("user", sa.column("id"), sa.column("pseudonym"), sa.column("pseudonym_skeleton"),
                     sa.column("skeleton_twin"))  # fmt: skip
    seen: set[str] = set()
    for user_id, pseudonym in bind.execute(sa.select(users.c.id, users.c.pseudonym).order_by(users.c.id)):
        key = skeleton(pseudonym)
        twin = user_id if key in seen else 0
        seen.add(key)
        bind.execute(
            users.update().where(users.c.id == user_id).values(pseudonym_skeleton=key, skeleton_twin=twin)
        )


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pseudonym_skeleton", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("skeleton_twin", sa.Integer(), server_default="0", nullable=False))
    _backfill()
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("pseudonym_skeleton", existing_type=sa.String(length=255), nullable=False)
        batch_op.create_index(
            "uq_user_pseudonym_skeleton", ["pseudonym_skeleton", "skeleton_twin"], unique=True
        )
    op.create_table(
        "held_pseudonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("skeleton_hmac", sa.String(length=64), nullable=False),
        sa.Column("frees_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_pseudonym")),
        sa.UniqueConstraint("skeleton_hmac", name=op.f("uq_held_pseudonym_skeleton_hmac")),
    )
    with op.batch_alter_table("held_pseudonym", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_pseudonym_frees_at"), ["frees_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("held_pseudonym", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_pseudonym_frees_at"))
    op.drop_table("held_pseudonym")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index("uq_user_pseudonym_skeleton")
        batch_op.drop_column("skeleton_twin")
        batch_op.drop_column("pseudonym_skeleton")
