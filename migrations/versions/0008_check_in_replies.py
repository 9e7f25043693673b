"""check-ins by reply

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_in_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("check_in_ids", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.Column("edited_ts", sa.String(length=32), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in_reply")),
        sa.UniqueConstraint(
            "workspace_id", "channel", "ts", name=op.f("uq_check_in_reply_workspace_id_channel_ts")
        ),
    )
    with op.batch_alter_table("check_in_reply", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_in_reply_workspace_id_user_id_outcome_handled_at"),
            ["workspace_id", "user_id", "outcome", "handled_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("check_in_reply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_in_reply_workspace_id_user_id_outcome_handled_at"))
    op.drop_table("check_in_reply")
