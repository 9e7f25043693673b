"""A key result's own owner, who is prompted for it and may check it in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 00:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.drop_column("owner_id")
