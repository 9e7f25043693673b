"""seen events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:04:24.521967
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seen_event")),
        sa.UniqueConstraint(
            "workspace_id", "event_id", name=op.f("uq_seen_event_workspace_id_event_id")
        ),
    )
    with op.batch_alter_table("seen_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_event_seen_at"), ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seen_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_event_seen_at"))

    op.drop_table("seen_event")
