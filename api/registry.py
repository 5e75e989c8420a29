"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, tests), and every
domain's case-event handlers (``api.events``) so the web app, the CLI and the jobs react alike."""

from api.audit import models as audit_models
from api.auth import models as auth_models
from api.calendar import models as calendar_models
from api.cases import models as cases_models
from api.counsel import handlers as counsel_handlers  # case-event handlers (the workload tables)
from api.counsel import models as counsel_models
from api.deadlines import models as deadlines_models
from api.deadlines import service as deadlines_handlers  # case-event handlers
from api.documents import models as documents_models
from api.hearings import models as hearings_models
from api.idempotency import models as idempotency_models
from api.jobs import models as jobs_models
from api.notifications import handlers as notifications_handlers  # case-event handlers
from api.notifications import models as notifications_models
from api.reference import models as reference_models
from api.tasks import models as tasks_models
from api.users import models as users_models

__all__ = [
    "audit_models",
    "auth_models",
    "calendar_models",
    "cases_models",
    "counsel_handlers",
    "counsel_models",
    "deadlines_handlers",
    "deadlines_models",
    "documents_models",
    "hearings_models",
    "idempotency_models",
    "jobs_models",
    "notifications_handlers",
    "notifications_models",
    "reference_models",
    "tasks_models",
    "users_models",
]
