"""weekly check-ins and jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:22:50.040591
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("job", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint(
            "workspace_id",
            "job",
            "period",
            "attempt",
            name=op.f("uq_job_run_workspace_id_job_period_attempt"),
        ),
    )
    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["objective_id"], ["objective.id"], name=op.f("fk_check_in_objective_id_objective")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in")),
    )
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_in_objective_id_created_at"),
            ["objective_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_check_in_workspace_id_author_id_created_at"),
            ["workspace_id", "author_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_run_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_run_id"], ["job_run.id"], name=op.f("fk_delivery_job_run_id_job_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint(
            "job_run_id", "recipient", name=op.f("uq_delivery_job_run_id_recipient")
        ),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_recipient_sent_at"), ["recipient", "sent_at"], unique=False
        )

    op.create_table(
        "check_in_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_in_id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_in_id"], ["check_in.id"], name=op.f("fk_check_in_value_check_in_id_check_in")
        ),
        sa.ForeignKeyConstraint(
            ["key_result_id"],
            ["key_result.id"],
            name=op.f("fk_check_in_value_key_result_id_key_result"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in_value")),
        sa.UniqueConstraint(
            "check_in_id", "key_result_id", name=op.f("uq_check_in_value_check_in_id_key_result_id")
        ),
    )
    with op.batch_alter_table("check_in_value", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_in_value_key_result_id_created_at"),
            ["key_result_id", "created_at"],
            unique=False,
        )

    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("current_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("last_check_in_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tz", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("display_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("directory_synced_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("directory_synced_at")
        batch_op.drop_column("display_name")
        batch_op.drop_column("tz")

    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.drop_column("last_check_in_at")
        batch_op.drop_column("confidence")

    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.drop_column("current_at")
        batch_op.drop_column("current_value")

    with op.batch_alter_table("check_in_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_in_value_key_result_id_created_at"))

    op.drop_table("check_in_value")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_recipient_sent_at"))

    op.drop_table("delivery")
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_in_workspace_id_author_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_check_in_objective_id_created_at"))

    op.drop_table("check_in")
    op.drop_table("job_run")
