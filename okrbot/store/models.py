"""Tables. The schema changes only through Alembic migrations in `migrations/`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    manager_id: Mapped[str | None] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    # "org_chart" when imported, "self" when the person picked their manager in the modal;
    # an import always wins over a self-chosen manager.
    source: Mapped[str] = mapped_column(String(16), default="org_chart")
    # From Slack's directory (users.list), refreshed daily: prompts go out in local time,
    # and the digest names people without mentioning (and so pinging) them.
    tz: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(120))
    # Slack's locale ("nb-NO"): which language okrbot speaks to this person.
    locale: Mapped[str | None] = mapped_column(String(16))
    directory_synced_at: Mapped[datetime | None]
    # Nobody gets more than one nudge a day.
    last_nudged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Objective(Base):
    __tablename__ = "objective"
    __table_args__ = (
        Index(None, "workspace_id", "quarter", "status"),
        Index(None, "workspace_id", "owner_id"),
        UniqueConstraint("workspace_id", "submission_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(80))
    quarter: Mapped[str] = mapped_column(String(7))
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    aligned_to_id: Mapped[int | None] = mapped_column(ForeignKey("objective.id"))
    status: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The modal's view id for a first submission: a repeated submission of the same form
    # hits the unique key instead of creating a second objective.
    submission_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    # The latest check-in's, kept here so the digest and prompts need no history scan.
    confidence: Mapped[str | None] = mapped_column(String(16))
    last_check_in_at: Mapped[datetime | None]
    # The owner's end-of-quarter score, 0.0-1.0 (0.6-0.8 is a healthy stretch).
    score: Mapped[float | None] = mapped_column(Float)
    scored_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    # The live key results. One an approved change removed is retired, not deleted: it keeps
    # its check-ins, and `all_key_results` (read-only) still has it.
    key_results: Mapped[list[KeyResult]] = relationship(
        primaryjoin="and_(Objective.id == KeyResult.objective_id, KeyResult.retired_at.is_(None))",
        back_populates="objective",
        order_by="KeyResult.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )
    all_key_results: Mapped[list[KeyResult]] = relationship(
        order_by="KeyResult.position", viewonly=True, lazy="raise"
    )
    aligned_to: Mapped[Objective | None] = relationship(remote_side=[id], lazy="raise")


class KeyResult(Base):
    __tablename__ = "key_result"
    __table_args__ = (UniqueConstraint("objective_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300))
    start_value: Mapped[float] = mapped_column(Float)
    target_value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30), default="")
    # numeric, milestone (0 to 1) or range (start and target its bounds): domain.okr.Kind.
    kind: Mapped[str] = mapped_column(String(16), default="numeric", server_default="numeric")
    # Who checks it in besides the objective's owner; None: the objective's owner alone.
    owner_id: Mapped[str | None] = mapped_column(String(32))
    # The latest check-in's value (the history is in check_in_value).
    current_value: Mapped[float | None] = mapped_column(Float)
    current_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)
    # A key result removed by an approved edit keeps its row and history, retired.
    retired_at: Mapped[datetime | None]

    objective: Mapped[Objective] = relationship(back_populates="key_results", lazy="raise")


class CheckIn(Base):
    """One person's weekly update of one objective. Never overwritten: history."""

    __tablename__ = "check_in"
    __table_args__ = (
        Index(None, "workspace_id", "author_id", "created_at"),
        Index(None, "objective_id", "created_at"),
        # The same form sent twice (Slack retrying, a replayed request) is one check-in.
        UniqueConstraint("submission_key", "objective_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id"))
    author_id: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    # The form it came from (its view id and hash), when it came through the inbox.
    submission_key: Mapped[str | None] = mapped_column(String(128))
    # Where it came from: "slack" (the form, a reply), or "api:<token name>".
    source: Mapped[str] = mapped_column(String(80), default="slack", server_default="slack")


class CheckInValue(Base):
    __tablename__ = "check_in_value"
    __table_args__ = (
        UniqueConstraint("check_in_id", "key_result_id"),
        Index(None, "key_result_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_in_id: Mapped[int] = mapped_column(ForeignKey("check_in.id"))
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_result.id"))
    value: Mapped[float] = mapped_column(Float)
    # Denormalised from check_in so "the value a week ago" is one indexed lookup.
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A token for the HTTP API (okrbot.api), of one workspace. Only its SHA-256 is kept:
    the token itself is shown once, when it is made."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("workspace_id", "name"), UniqueConstraint("token_hash"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    # Hex SHA-256 of the whole token.
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    # Noted at most once a minute, so a busy token does not write on every request.
    last_used_at: Mapped[datetime | None]


class CheckInReply(Base):
    """A DM to okrbot read as a check-in (services.replies): one row per message, so that
    the same message delivered again is handled once, and what it recorded can be undone.

    `previous` keeps what the check-in changed, as it was before: per objective its
    confidence and last check-in time, per key result its current value and time."""

    __tablename__ = "check_in_reply"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel", "ts"),
        Index(None, "workspace_id", "user_id", "outcome", "handled_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    # The person's message: the DM and its ts.
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    # "recorded", "unclear", "help" or "undone".
    outcome: Mapped[str] = mapped_column(String(16))
    # The check-ins it recorded, and the state they replaced.
    check_in_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    previous: Mapped[dict[str, Any]] = mapped_column(default=dict)
    handled_at: Mapped[datetime]
    # When the check-in was recorded (again, after an edit): undo works for a day after.
    recorded_at: Mapped[datetime | None]
    # The last edit handled (its `edited.ts`), so the same edit delivered twice is one.
    edited_ts: Mapped[str | None] = mapped_column(String(32))
    undone_at: Mapped[datetime | None]


class KeyResultSource(Base):
    """Where a key result's value is read from, daily and before each check-in prompt:
    an HTTP JSON document or a SQL query. Secrets are never here: `config` names the
    environment variables that hold them."""

    __tablename__ = "key_result_source"
    __table_args__ = (UniqueConstraint("key_result_id"), Index(None, "workspace_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_result.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(String(32))
    # "http" or "sql"; what each needs is in `config` (domain/sources.py).
    kind: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # "active", "paused" (three failures in a row) or "off".
    status: Mapped[str] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_value: Mapped[float | None] = mapped_column(Float)
    # When the last read finished, and the workspace's day of the last daily read (claimed
    # before reading, so that two processes never read the same source the same day).
    last_read_at: Mapped[datetime | None]
    last_read_on: Mapped[str | None] = mapped_column(String(10))
    # The ISO week whose check-in prompt the source was last read for.
    prompt_week: Mapped[str | None] = mapped_column(String(10))
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    # The owner hears of a failing source once, until it works again.
    told_owner_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InboxCheckIn(Base):
    """A check-in form okrbot has answered but not stored yet (services.inbox).

    The answer waits only for this row; the check-in is stored from it right after, in the
    same transaction that deletes it, and after a crash by whichever process finds it.
    """

    __tablename__ = "check_in_inbox"
    __table_args__ = (Index(None, "received_at"), UniqueConstraint("submission_key"))

    # Made by the writer, so that a batch of rows needs no RETURNING to know its ids.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    # [[objective id, [its key results' ids, as the form showed them]], ...]
    objectives: Mapped[list[Any]] = mapped_column(JSON)
    # The form's values by field name (kr_1, conf_1, note_1 ...).
    fields: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    # The form's view id and hash: the same submission twice is one row (None for a form
    # without them, which only a forged request sends).
    submission_key: Mapped[str | None] = mapped_column(String(128))
    # Failed attempts to store it, each counted in a transaction of its own; after
    # `inbox.MAX_TRIES` the row is dead: kept aside with its reason, never tried again.
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(200))


class InboxDecision(Base):
    """A click on Approve that okrbot has answered but not applied yet (services.decisions).

    Written before the answer, applied right after in the transaction that marks it done,
    and after a crash by whichever process finds it. Done rows are kept a day, so that the
    same click delivered again finds its key taken and changes nothing.
    """

    __tablename__ = "decision_inbox"
    __table_args__ = (Index(None, "received_at"), UniqueConstraint("click_key"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    # Where the click came from, for a note only the decider sees.
    channel_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    # What the button carried (a RequestRef, encoded).
    value: Mapped[str] = mapped_column(String(255))
    # Workspace, user, action and Slack's action_ts: one click, however often delivered.
    click_key: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(200))


class JobRun(Base):
    """A weekly job's run, claimed by inserting it: of two processes only one can."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("workspace_id", "job", "period", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    job: Mapped[str] = mapped_column(String(16))
    # The ISO week, "2026-W48".
    period: Mapped[str] = mapped_column(String(10))
    # 0 for the scheduled run; `run-job --force` adds 1, 2, ... to post again.
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # What the run sends, fixed when it starts so a resumed run sends the same thing.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Delivery(Base):
    """One message of a run to one recipient; the unique key makes a resumed run skip it."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("job_run_id", "recipient"),
        Index(None, "recipient", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_run_id: Mapped[int] = mapped_column(ForeignKey("job_run.id"))
    recipient: Mapped[str] = mapped_column(String(40))
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))


class Approval(Base):
    """One stage of one version's approval: who must decide, what they decided, and where."""

    __tablename__ = "approval"
    __table_args__ = (
        UniqueConstraint("objective_id", "version", "stage"),
        Index(None, "workspace_id", "approver_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id"))
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    approver_id: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # The approver's DM that carries the buttons, so the outcome can replace them.
    message_channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # When the approver was reminded of it (once).
    nudged_at: Mapped[datetime | None]


class Revision(Base):
    """A proposed change to an approved objective, approved like a new one.

    The objective stays published as it was until the revision's last approval applies it.
    """

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("objective_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A Slack message owed to someone, written in the same transaction as the change.

    Delivery happens after the commit; a crash between the two leaves the row here and the
    next dispatcher (after a restart, too) sends it.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "sent_at", "failed_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    objective_id: Mapped[int | None] = mapped_column(ForeignKey("objective.id"))
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval.id"))
    recipient: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))


class SeenEvent(Base):
    """An Events API delivery already handled: Slack retries events, and a retry must
    change nothing. Kept a day, which covers Slack's retries many times over."""

    __tablename__ = "seen_event"
    __table_args__ = (UniqueConstraint("workspace_id", "event_id"), Index(None, "seen_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime]


class Workspace(Base):
    """A Slack workspace that installed okrbot through OAuth, with the settings that
    single-workspace mode reads from the environment (OKRBOT_CEO, OKRBOT_CHANNEL)."""

    __tablename__ = "workspace"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    ceo: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    # Who may change these settings and run jobs from Slack, besides the CEO.
    admins: Mapped[list[str]] = mapped_column(JSON, default=list)
    installed_by: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime]
    # Set when the workspace removes the app or revokes its token: its jobs stop.
    uninstalled_at: Mapped[datetime | None]


# slack_sdk's installation and OAuth state stores keep their rows in the same database;
# their tables are declared here so that migrations create them and the check that the
# migrated schema matches the models covers them too.
INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, "slack_installations"
)
BOTS = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
OAUTH_STATES = AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, "slack_oauth_states"
)
