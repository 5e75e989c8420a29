from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from api.audit import service as audit
from api.concurrency import etag_documented, set_etag
from api.db import DbSession
from api.errors import problem_responses
from api.pagination import IdPath, IdQuery, Page, PageParams, paginate, sorting
from api.permissions import Perm, Principal, Role, require
from api.routing import UnitOfWorkRoute, model_response
from api.schema_rules import TextBool
from api.users import service
from api.users.models import User
from api.users.schemas import PasswordChange, PasswordReset, UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/api/v1/users", tags=["users"], route_class=UnitOfWorkRoute)

Admin = Annotated[Principal, require(Perm.users_manage)]
SORTS = {"username": User.username, "full_name": User.full_name, "created_at": User.created_at, "id": User.id}


@router.get(
    "/me",
    response_model=UserOut,
    name="me",
    summary="The signed-in user",
    responses=problem_responses(401) | etag_documented(),
)
def me(
    db: DbSession, response: Response, principal: Annotated[Principal, require(Perm.authenticated)]
) -> Response:
    # every screen of the SPA starts here: answered in one trip through the thread pool
    user = service.get_user(db, principal.user_id)
    set_etag(response, service.ETAG_KIND, user.id, user.version)
    return model_response(UserOut.model_validate(user), response)


@router.post(
    "/me/password",
    status_code=204,
    name="change-password",
    summary="Change my password",
    responses=problem_responses(401, 422),
)
def change_password(
    request: Request,
    db: DbSession,
    body: PasswordChange,
    principal: Annotated[Principal, require(Perm.authenticated)],
) -> Response:
    """Every sign-in of the user (this one included) ends: sign in again with the new password."""
    service.change_own_password(
        db,
        user_id=principal.user_id,
        current=body.current_password,
        new=body.new_password,
        origin=audit.origin_of(request, principal.user_id),
    )
    return Response(status_code=204)


@router.get(
    "",
    response_model=Page[UserOut],
    name="list",
    summary="List users",
    responses=problem_responses(401, 403, 422),
)
def list_users(
    db: DbSession,
    paging: Annotated[PageParams, sorting(SORTS, "username")],
    _: Admin,
    q: Annotated[str | None, Query(max_length=100, description="part of username or full name")] = None,
    role: Role | None = None,
    district_id: IdQuery = None,
    is_active: TextBool | None = None,
) -> Page[UserOut]:
    stmt = service.list_users(q=q, role=role, district_id=district_id, is_active=is_active)
    rows, total = paginate(db, stmt, paging, allowed=SORTS, default_sort="username", tiebreak=User.id)
    return Page[UserOut](
        items=[UserOut.model_validate(u) for u in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.post(
    "",
    response_model=UserOut,
    status_code=201,
    name="create",
    summary="Create a user",
    responses=problem_responses(401, 403, 409, 422) | etag_documented(201),
)
def create_user(request: Request, response: Response, db: DbSession, body: UserCreate, admin: Admin) -> User:
    user = service.create_user(db, data=body, origin=audit.origin_of(request, admin.user_id))
    set_etag(response, service.ETAG_KIND, user.id, user.version)
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return user


@router.get(
    "/{user_id:int}",
    response_model=UserOut,
    name="get",
    summary="One user",
    responses=problem_responses(401, 403, 404) | etag_documented(),
)
def get_user(user_id: IdPath, response: Response, db: DbSession, _: Admin) -> User:
    user = service.get_user(db, user_id)
    set_etag(response, service.ETAG_KIND, user.id, user.version)
    return user


@router.patch(
    "/{user_id:int}",
    response_model=UserOut,
    name="update",
    summary="Change a user's name, roles, district or active state",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428) | etag_documented(),
)
def update_user(
    user_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: UserUpdate,
    admin: Admin,
    if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
) -> User:
    """Deactivating a user ends every sign-in of theirs at once."""
    user = service.update_user(
        db, user_id=user_id, data=body, if_match=if_match, origin=audit.origin_of(request, admin.user_id)
    )
    set_etag(response, service.ETAG_KIND, user.id, user.version)
    return user


@router.post(
    "/{user_id:int}/password",
    status_code=204,
    name="reset-password",
    summary="Reset a user's password",
    responses=problem_responses(401, 403, 404, 422),
)
def reset_password(
    user_id: IdPath, request: Request, db: DbSession, body: PasswordReset, admin: Admin
) -> Response:
    """The user's sign-ins end; they sign in with the new password."""
    service.reset_password(
        db, user_id=user_id, password=body.password, origin=audit.origin_of(request, admin.user_id)
    )
    return Response(status_code=204)
