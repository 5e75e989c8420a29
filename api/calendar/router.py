"""HTTP routes of calendar (thin: parse, call the service, shape the answer): the caller's private
feed URL, its rotation, and the feed itself, which a phone calendar fetches without a bearer header
(the secret is the URL; the route is public and answers 404 to anything but a live token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from api.audit import service as audit
from api.calendar import service
from api.db import DbSession, WriteDbSession, audited_read
from api.errors import problem_responses
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["calendar"], route_class=UnitOfWorkRoute)

Authenticated = Annotated[Principal, require(Perm.authenticated)]
ICS = "text/calendar"


class FeedUrl(BaseModel):
    url: str = Field(
        description="the private iCalendar URL: subscribe to it in a calendar app; keep it secret"
    )


@router.get(
    "/calendar/feed-url",
    response_model=FeedUrl,
    name="feed-url",
    summary="The caller's private calendar feed URL",
    responses=problem_responses(401, 403),
)
def feed_url(request: Request, db: WriteDbSession, principal: Authenticated) -> FeedUrl:
    """Created on the first call; the same URL afterwards until rotated. The feed holds the
    caller's hearings (30 days back, 180 ahead) and open tasks' due dates."""
    origin = audit.origin_of(request, principal.user_id)
    with audited_read(db):  # may create the feed: a writer, as a reader's transaction cannot upgrade
        return FeedUrl(url=service.feed_url(db, principal=principal, origin=origin))


@router.post(
    "/calendar/feed-url/rotate",
    response_model=FeedUrl,
    name="rotate-feed-url",
    summary="Revoke the feed URL and issue a new one",
    responses=problem_responses(401, 403),
)
def rotate_feed_url(request: Request, db: DbSession, principal: Authenticated) -> FeedUrl:
    """The old URL stops working at once (404); calendars must subscribe to the new one."""
    return FeedUrl(
        url=service.rotate(db, principal=principal, origin=audit.origin_of(request, principal.user_id))
    )


@router.get(
    "/calendar/feeds/{token}.ics",
    name="feed",
    summary="A calendar feed (iCalendar, no bearer header: the URL is the secret)",
    response_class=Response,
    responses={
        200: {
            "description": "RFC 5545 iCalendar text",
            "content": {ICS: {"schema": {"type": "string"}}},
        },
        **problem_responses(404),
    },
    openapi_extra={"x-cmms-public": True},
)
def feed(
    db: DbSession,
    token: Annotated[str, Path(description="the secret of a feed URL", pattern=r"^[A-Za-z0-9_-]{1,128}$")],
) -> Response:
    """Only what the feed's owner may read now; a revoked token or a deactivated owner is a 404."""
    return Response(
        service.render_feed(db, token=token),
        media_type=f"{ICS}; charset=utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="cmms.ics"',
            "X-Content-Type-Options": "nosniff",
        },
    )
