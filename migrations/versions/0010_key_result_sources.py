"""key results' data sources

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_result_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_read_at", sa.DateTime(), nullable=True),
        sa.Column("last_read_on", sa.String(length=10), nullable=True),
        sa.Column("prompt_week", sa.String(length=10), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("told_owner_at", sa.DateTime(), nullable=True),
        sa.Column("paused_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_result.id"],
            name=op.f("fk_key_result_source_key_result_id_key_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_result_source")),
        sa.UniqueConstraint("key_result_id", name=op.f("uq_key_result_source_key_result_id")),
    )
    with op.batch_alter_table("key_result_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_result_source_workspace_id_status"),
            ["workspace_id", "status"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("key_result_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_result_source_workspace_id_status"))
    op.drop_table("key_result_source")
