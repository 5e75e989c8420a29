"""In-process case events. Every timeline entry (``cases.service.record_event``) is also offered to
the handlers other domains register here, in the same transaction: deadlines start and stop,
notifications go out. Handlers run synchronously inside the caller's unit of work and never commit.

    @events.on("transition")
    def _stage_moved(session, event, case): ...

Handler modules are imported by ``api.registry`` so the web app, the CLI and the jobs see the same set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from api.cases.models import Case, CaseEvent

Handler = Callable[[Session, "CaseEvent", "Case"], None]

#: event kind (or "*" for every kind) -> handlers, in registration order
_handlers: dict[str, list[Handler]] = defaultdict(list)


def on(*kinds: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for kind in kinds:
            if handler not in _handlers[kind]:
                _handlers[kind].append(handler)
        return handler

    return register


def emit(session: Session, event: CaseEvent, case: Case) -> None:
    for handler in (*_handlers.get(event.kind, ()), *_handlers.get("*", ())):
        handler(session, event, case)
