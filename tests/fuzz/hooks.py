"""Loaded into schemathesis (``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``) by tests/fuzz/runner.py.

The run signs in as two district prosecutors of different districts (peers: schemathesis' own
``object_level_authorization`` replays one's reads as the other) and an administrator for the
operations they may not call. On top of that:

- ``cross_district_access``, a check: the identity of a request (``case.auth_identity``) got a 2xx
  for a case of another district, or for anything hanging off one (hearing, task, deadline,
  document, party, charge, scrutiny review, notification of another user), named in its path or in
  the body it sent; or a 2xx body names such a case (its number or a ``case_id``). What is
  forbidden comes from the database by the domain rule (a district prosecutor reads only their
  district's cases), never from the API, so a broken access rule cannot hide itself.
- generation hooks that feed those ids, and the identities' own, into path parameters, filters
  and bodies, so the fuzzer asks for other districts' cases far more often than random ids would.
- two narrow generation adjustments, each justified where it is made.

The data (``CMMS_FUZZ_DATA``, a JSON file) is written by the runner before the run."""

from __future__ import annotations

import json
import os
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st

#: path / query / body names → the kind of row they name
KINDS = {
    "case_id": "case",
    "hearing_id": "hearing",
    "task_id": "task",
    "deadline_id": "deadline",
    "document_id": "document",
    "party_id": "party",
    "charge_id": "charge",
    "review_id": "review",
    "notification_id": "notification",
}


@cache
def data() -> dict[str, Any]:
    return json.loads(Path(os.environ["CMMS_FUZZ_DATA"]).read_text(encoding="utf-8"))


def _forbidden(identity: str | None) -> dict[str, set[Any]] | None:
    spec = data()["identities"].get(identity or "")
    if spec is None or not spec.get("forbidden"):
        return None
    return {kind: set(values) for kind, values in spec["forbidden"].items()}


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _walk(node: Any, path: str = "") -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
            yield path, key, value
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


@schemathesis.check
def cross_district_access(ctx: Any, response: Any, case: Any) -> bool | None:
    """A district prosecutor reached a case of another district (or what hangs off one)."""
    identity = case.auth_identity
    forbidden = _forbidden(identity)
    if forbidden is None or not 200 <= response.status_code < 300:
        return None
    where = f"{case.method} {case.formatted_path} as {identity} -> {response.status_code}"
    for name, value in (case.path_parameters or {}).items():
        kind = KINDS.get(name)
        if kind and _as_int(value) in forbidden[kind]:
            raise AssertionError(f"{where}: {name}={value} is another district's {kind}")
        if name == "district_id" and _as_int(value) in forbidden["district"]:
            raise AssertionError(f"{where}: district {value} is not {identity}'s")
    if case.method.upper() != "GET" and isinstance(case.body, dict):
        for _path, key, value in _walk(case.body):
            ids = value if isinstance(value, list) else [value]
            kind = KINDS.get(key) or ("case" if key == "case_ids" else None)
            if kind and any(_as_int(v) in forbidden[kind] for v in ids if not isinstance(v, dict)):
                raise AssertionError(f"{where}: the body's {key}={value} is another district's {kind}")
    try:
        body = response.json()
    except ValueError:
        return None
    numbers = forbidden["number"]
    if isinstance(body, str) and body in numbers:
        raise AssertionError(f"{where}: the answer names another district's case {body}")
    for path, key, value in _walk(body):
        if key == "case_id" and _as_int(value) in forbidden["case"]:
            raise AssertionError(f"{where}: the answer holds case_id={value} at {path} (another district's)")
        if isinstance(value, str) and value in numbers:
            raise AssertionError(f"{where}: the answer names another district's case {value} at {path}/{key}")
    return None


# --- feeding real ids -------------------------------------------------------------------------


def _pool(kind: str) -> list[int]:
    return data()["pools"].get(kind, [])


def _swap(params: dict[str, Any], name: str, value: int) -> dict[str, Any]:
    return {**params, name: value}


#: the ids' range in the schema (api/pagination.py MAX_ID): a generated value outside it is a
#: negative case's mutation and stays as generated
ID_RANGE = range(1, 2**31)


def _an_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in ID_RANGE


def _fed(params: Any, names: tuple[str, ...]) -> Any:
    """The generated values, or one of them replaced by a real id of any district. Only a value
    that is itself a valid id is replaced: replacing a negative case's invalid id (0, -1, 2**31,
    text) would turn the request valid while schemathesis still expects it refused."""
    if not isinstance(params, dict):
        return st.just(params)
    options = [
        st.sampled_from(_pool(KINDS[name])).map(lambda v, n=name: _swap(params, n, v))
        for name in names
        if _an_id(params.get(name)) and _pool(KINDS[name])
    ]
    if not options:
        return st.just(params)
    return st.one_of(st.just(params), *options)


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    return _fed(path_parameters, tuple(KINDS))


@schemathesis.hook
def flatmap_query(context: Any, query: dict[str, Any]) -> Any:
    return _fed(query, ("case_id",))


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> Any:
    return _fed(body, ("case_id",))


@schemathesis.hook
def filter_path_parameters(context: Any, path_parameters: dict[str, Any]) -> bool:
    """Never let the administrator's run disable, re-role, move or re-password the run's own
    identities (``/users/{user_id}``): the run would lose its users, and a moved prosecutor would
    make the cross-district check's expectations wrong. Every other user id stays fair game."""
    user_id = _as_int((path_parameters or {}).get("user_id"))
    return user_id is None or user_id not in set(data()["protected_user_ids"])


@schemathesis.hook
def filter_body(context: Any, body: Any) -> bool:
    """Never sign in as one of the run's identities with a generated password: five in a row lock
    the account for 15 minutes (API.md's lockout, working as designed), and the run's own
    sign-ins then fail for every operation after (a 200-example run learnt "dp.south" from the
    answers it read and locked it). Other usernames stay fair game, the lockout included."""
    operation = getattr(context, "operation", None)
    if operation is None or operation.path != "/api/v1/auth/token" or not isinstance(body, dict):
        return True
    username = body.get("username")
    return not (isinstance(username, str) and username.strip().lower() in data()["usernames"])


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """A positive request's Idempotency-Key made unique. Generated keys repeat ("0", "00"…) across
    different requests of one user; API.md (after the IETF draft) answers a key reused with another
    request with 422, which ``positive_data_acceptance`` would count as a valid request refused.
    Negative requests keep their generated (invalid) keys."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if mode is None or not mode.is_positive or not case.headers:
        return
    for name in list(case.headers):
        if name.lower() == "idempotency-key":
            case.headers[name] = uuid.uuid4().hex
