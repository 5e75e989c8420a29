"""Prometheus metrics by route template, JSON access logs, request ids."""

from __future__ import annotations

import json
import logging
import re


def _samples(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name + "{")]


def test_metrics_use_route_templates(client, as_role, make_user):
    headers = as_role("admin")
    user = make_user("clerk", district="KHI-S")
    for _ in range(2):
        assert client.get(f"/api/v1/users/{user.id}", headers=headers).status_code == 200
    client.get("/api/v1/users/999999", headers=headers)
    client.get("/api/v1/no-such-thing/12345")
    client.post("/api/v1/other/777")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    lines = _samples(r.text, "cmms_http_requests_total")
    users = [ln for ln in lines if 'route="/api/v1/users/{user_id}"' in ln]
    assert any('status="200"' in ln and ln.endswith(" 2.0") for ln in users), users
    assert any('status="404"' in ln for ln in users)
    routes = {ln.split('route="')[1].split('"')[0] for ln in lines if 'route="' in ln}
    assert not any(str(user.id) in route.split("/") for route in routes), routes
    # raw paths never become labels (only values may contain such digits, e.g. a latency sum)
    all_routes = {ln.split('route="')[1].split('"')[0] for ln in r.text.splitlines() if 'route="' in ln}
    assert not any("12345" in rt or "777" in rt or "no-such-thing" in rt for rt in all_routes), all_routes
    unmatched = [ln for ln in lines if 'route="unmatched"' in ln and 'status="404"' in ln]
    assert any('method="GET"' in ln for ln in unmatched) and any('method="POST"' in ln for ln in unmatched)
    assert _samples(r.text, "cmms_http_request_duration_seconds_bucket")


def test_unmatched_paths_share_one_label(client):
    for i in range(20):
        client.get(f"/random/{i}")
    text = client.get("/metrics").text
    labels = {m for m in re.findall(r'route="([^"]*)"', text)}
    assert not any(label.startswith("/random") for label in labels), labels


def test_json_access_log(client, capsys):
    logger = logging.getLogger("cmms.access")
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Capture()
    from api.observability import JsonFormatter

    handler.setFormatter(JsonFormatter())
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client.get("/api/v1/users/me", headers={"X-Request-ID": "log-test-1"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [json.loads(r) for r in records]
    line = next(ln for ln in lines if ln.get("request_id") == "log-test-1")
    assert line["status"] == 401 and line["method"] == "GET"
    assert line["path"] == "/api/v1/users/me" and line["route"] == "/api/v1/users/me"
    assert line["level"] == "info" and line["logger"] == "cmms.access"
    assert isinstance(line["duration_ms"], float | int)
    assert line["ts"].endswith("Z")
