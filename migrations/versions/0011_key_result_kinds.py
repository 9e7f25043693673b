"""Key results of every kind: numeric, milestone, keep within a range

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="numeric", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.drop_column("kind")
