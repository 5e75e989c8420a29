"""Case events that move the workload tables (see api/counsel/loads.py): each is noted, and the
tables are settled once, just before the transaction commits. Imported by ``api.registry``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from api import events
from api.counsel import loads

if TYPE_CHECKING:
    from api.cases.models import Case, CaseEvent


@events.on("created", "transition", "updated", "assignment", "unassignment")
def on_case_event(session: Session, event: CaseEvent, case: Case) -> None:
    loads.note(session, event, case)


@sa_event.listens_for(Session, "before_commit")
def _settle_before_commit(session: Session) -> None:
    if loads.PENDING in session.info:
        loads.settle(session)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_after_transaction(session: Session, transaction: SessionTransaction, *_: Any) -> None:
    if transaction.parent is None:  # the outermost one: committed (settled) or rolled back
        loads.forget(session)
