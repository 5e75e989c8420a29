from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.pagination import MAX_ID
from api.permissions import Role
from api.schema_rules import Lax, refuse_nul

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"


def _unique_roles(roles: list[Role] | None) -> list[Role] | None:
    if roles is None:
        return None
    if len(set(roles)) != len(roles):
        raise ValueError("each role at most once")
    return sorted(roles)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    roles: list[Role]
    district_id: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    _no_nul = field_validator("full_name")(refuse_nul)

    username: str = Field(pattern=USERNAME_PATTERN, description="lower-case letters, digits, . _ -")
    password: str = Field(min_length=1, max_length=256)
    full_name: str = Field(min_length=1, max_length=200)
    roles: list[Annotated[Role, Lax]] = Field(min_length=1, max_length=8)
    district_id: int | None = Field(None, ge=1, le=MAX_ID)

    _roles = field_validator("roles")(_unique_roles)

    @field_validator("full_name")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("must not be blank")
        return v


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    _no_nul = field_validator("full_name")(refuse_nul)

    full_name: str | None = Field(None, min_length=1, max_length=200)
    roles: list[Annotated[Role, Lax]] | None = Field(None, min_length=1, max_length=8)
    district_id: int | None = Field(None, ge=1, le=MAX_ID)
    is_active: bool | None = None

    _roles = field_validator("roles")(_unique_roles)

    @field_validator("full_name", "roles", "is_active", mode="before")
    @classmethod
    def _not_null(cls, v: object) -> object:
        if v is None:
            raise ValueError("must not be null (leave the field out to keep it)")
        return v

    @field_validator("full_name")
    @classmethod
    def _strip(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v.strip() if v is not None else v


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    password: str = Field(min_length=1, max_length=256)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)
