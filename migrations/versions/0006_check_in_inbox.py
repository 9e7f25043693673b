"""check-in inbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 18:33:12.402917
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_in_inbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in_inbox")),
    )
    with op.batch_alter_table("check_in_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_in_inbox_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("check_in_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_in_inbox_received_at"))

    op.drop_table("check_in_inbox")
