"""scores, revisions, nudges and locales

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:42:56.520262
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["objective_id"], ["objective.id"], name=op.f("fk_revision_objective_id_objective")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision")),
        sa.UniqueConstraint(
            "objective_id", "version", name=op.f("uq_revision_objective_id_version")
        ),
    )
    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nudged_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("scored_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("last_nudged_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("last_nudged_at")
        batch_op.drop_column("locale")

    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("scored_at")
        batch_op.drop_column("score")

    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("score")

    with op.batch_alter_table("approval", schema=None) as batch_op:
        batch_op.drop_column("nudged_at")

    op.drop_table("revision")
