"""Queries, one repository per aggregate. State changes that race are conditional updates."""

from okrbot.store.repositories.approvals import ApprovalRepository, RevisionRepository
from okrbot.store.repositories.check_ins import CheckableRow, CheckInRepository, MeasuredValue
from okrbot.store.repositories.objectives import ObjectiveRepository, ProgressKR, ProgressObjective
from okrbot.store.repositories.people import PersonRepository
from okrbot.store.repositories.queues import (
    IN_DOUBT_PREFIX,
    DecisionInboxRepository,
    InboxRepository,
    OutboxRepository,
)
from okrbot.store.repositories.replies import ReplyRepository
from okrbot.store.repositories.runs import DeliveryRepository, JobRunRepository
from okrbot.store.repositories.scoring import ScoringRepository
from okrbot.store.repositories.sources import SourceRepository, SourceRow
from okrbot.store.repositories.tokens import TokenRepository
from okrbot.store.repositories.workspaces import EventRepository, WorkspaceRepository

__all__ = [
    "IN_DOUBT_PREFIX",
    "ApprovalRepository",
    "CheckInRepository",
    "CheckableRow",
    "DecisionInboxRepository",
    "DeliveryRepository",
    "EventRepository",
    "InboxRepository",
    "JobRunRepository",
    "MeasuredValue",
    "ObjectiveRepository",
    "OutboxRepository",
    "PersonRepository",
    "ProgressKR",
    "ProgressObjective",
    "ReplyRepository",
    "RevisionRepository",
    "ScoringRepository",
    "SourceRepository",
    "SourceRow",
    "TokenRepository",
    "WorkspaceRepository",
]
