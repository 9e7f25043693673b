"""decision inbox, submission keys and dead letters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 19:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_inbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("click_key", sa.String(length=255), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("tries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retry_at", sa.DateTime(), nullable=True),
        sa.Column("dead_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_inbox")),
        sa.UniqueConstraint("click_key", name=op.f("uq_decision_inbox_click_key")),
    )
    with op.batch_alter_table("decision_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_inbox_received_at"), ["received_at"], unique=False
        )

    with op.batch_alter_table("check_in_inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("tries", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_check_in_inbox_submission_key"), ["submission_key"]
        )

    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_check_in_submission_key_objective_id"),
            ["submission_key", "objective_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_check_in_submission_key_objective_id"), type_="unique"
        )
        batch_op.drop_column("submission_key")

    with op.batch_alter_table("check_in_inbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_check_in_inbox_submission_key"), type_="unique")
        batch_op.drop_column("reason")
        batch_op.drop_column("dead_at")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("tries")
        batch_op.drop_column("submission_key")

    with op.batch_alter_table("decision_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_inbox_received_at"))

    op.drop_table("decision_inbox")
