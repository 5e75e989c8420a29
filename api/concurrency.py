"""ETags and If-Match: every single-resource read and write returns an ETag; updates need If-Match."""

from __future__ import annotations

from fastapi import Response

from api.errors import PreconditionFailed, PreconditionRequired


def etag(kind: str, ident: object, version: int) -> str:
    return f'"{kind}-{ident}-v{version}"'


def set_etag(response: Response, kind: str, ident: object, version: int) -> None:
    response.headers["ETag"] = etag(kind, ident, version)


def check_if_match(if_match: str | None, kind: str, ident: object, version: int) -> None:
    """428 when the header is missing, 412 when it names another version (nothing is changed)."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you read, so no one's change is overwritten.")
    current = etag(kind, ident, version)
    candidates = {c.strip().removeprefix("W/") for c in if_match.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed(
            "Someone else changed this record since you read it; reload and re-apply your change.",
            extra={"current_etag": current},
        )


def etag_documented(status: int = 200) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses=`` entry declaring the ETag header of a single-resource answer."""
    return {
        status: {
            "headers": {
                "ETag": {
                    "description": "the resource's version; send it back in If-Match to update",
                    "schema": {"type": "string"},
                }
            }
        }
    }
