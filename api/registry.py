"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, tests)."""

from api.audit import models as audit_models
from api.auth import models as auth_models
from api.cases import models as cases_models
from api.documents import models as documents_models
from api.idempotency import models as idempotency_models
from api.reference import models as reference_models
from api.users import models as users_models

__all__ = [
    "audit_models",
    "auth_models",
    "cases_models",
    "documents_models",
    "idempotency_models",
    "reference_models",
    "users_models",
]
