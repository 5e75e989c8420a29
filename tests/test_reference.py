"""Reference data: what the installation loads, the filters, who may edit, ETags and audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEntry
from api.permissions import Role
from api.reference import models as m
from api.reference.loader import load_reference

REF = "/api/v1/reference"
DISTRICT_OF = {"district_prosecutor": "KHI-S", "clerk": "KHI-S"}


@pytest.fixture
def admin(as_role):
    return as_role("admin")


@pytest.fixture
def reader(as_role):
    return as_role("prosecutor", district="HYD")


def _all(client, path, headers, **params):
    r = client.get(f"{REF}/{path}", params={"limit": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_counts_loaded_from_the_data_files(db):
    count = lambda model: db.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(m.District) == 70
    assert db.scalar(select(func.count()).where(m.District.province == "Sindh")) == 30
    assert db.scalar(select(func.count()).where(m.District.province == "Khyber Pakhtunkhwa")) == 40
    assert count(m.Court) == 134
    assert count(m.PoliceStation) == 118
    assert count(m.Offence) == 100
    assert count(m.AdjournmentReason) == 20
    assert count(m.Holiday) > 0
    assert count(m.DeadlineRule) == 25  # 24 researched rules + the departmental scrutiny target


def test_lists_and_filters(client, reader, district_ids):
    districts = _all(client, "districts", reader)
    assert districts["total"] == 70 and len(districts["items"]) == 70
    assert _all(client, "districts", reader, province="Sindh")["total"] == 30
    assert _all(client, "districts", reader, province="Khyber Pakhtunkhwa")["total"] == 40
    assert {d["code"] for d in districts["items"]} >= {"KHI-S", "HYD", "PSH"}

    atc = _all(client, "courts", reader, court_type="anti_terrorism", q="Karachi")
    assert atc["total"] >= 5
    assert all(c["court_type"] == "anti_terrorism" and "Karachi" in c["name"] for c in atc["items"])
    hyd = _all(client, "courts", reader, district_id=district_ids["HYD"])
    assert hyd["total"] > 0 and all(c["district_id"] == district_ids["HYD"] for c in hyd["items"])
    assert _all(client, "courts", reader)["total"] == 134

    stations = _all(client, "police-stations", reader, district_id=district_ids["KHI-S"])
    assert stations["total"] > 0
    assert all(s["district_id"] == district_ids["KHI-S"] for s in stations["items"])
    assert _all(client, "police-stations", reader)["total"] == 118

    offences = _all(client, "offences", reader)
    assert offences["total"] == 100
    keys = {(o["statute"], o["section"]) for o in offences["items"]}
    assert any(s == "PPC" and sec.startswith("302") for s, sec in keys)
    assert any(s == "ATA" and sec.startswith("7") for s, sec in keys)
    assert any(s == "CNSA" and sec.startswith("9") for s, sec in keys)
    ata = _all(client, "offences", reader, statute="ATA")
    assert ata["total"] > 10 and all(o["statute"] == "ATA" for o in ata["items"])
    q302 = _all(client, "offences", reader, q="302")
    assert q302["total"] >= 1 and all("302" in o["section"] or "302" in o["title"] for o in q302["items"])
    assert all(f in offences["items"][0] for f in ("ata_scheduled", "bailable", "cognizable", "compoundable"))

    assert _all(client, "adjournment-reasons", reader)["total"] == 20
    assert _all(client, "deadline-rules", reader)["total"] == 25
    assert _all(client, "holidays", reader)["total"] > 0

    for path, params in (
        ("courts", {"court_type": "bogus"}),
        ("courts", {"district_id": "x"}),
        ("courts", {"sort": "nope"}),
        ("districts", {"limit": 500}),
        ("holidays", {"year": 1800}),
    ):
        r = client.get(f"{REF}/{path}", params=params, headers=reader)
        assert r.status_code == 422, (path, params, r.text)


def test_every_role_reads_and_only_admin_writes(client, as_role, district_ids, db):
    court = db.scalar(select(m.Court).limit(1))
    new_court = {
        "province": "Sindh",
        "district_id": district_ids["HYD"],
        "court_type": "sessions",
        "name": "Test Sessions Court, Hyderabad",
    }
    for role in Role:
        headers = as_role(role.value, district=DISTRICT_OF.get(role.value))
        for path in (
            "districts",
            "courts",
            "police-stations",
            "offences",
            "adjournment-reasons",
            "holidays",
            "deadline-rules",
        ):
            assert client.get(f"{REF}/{path}", params={"limit": 1}, headers=headers).status_code == 200
        assert client.get(f"{REF}/courts/{court.id}", headers=headers).status_code == 200
        if role is Role.admin:
            continue
        r = client.post(f"{REF}/courts", json=new_court, headers=headers)
        assert r.status_code == 403, (role, r.text)
        r = client.patch(
            f"{REF}/courts/{court.id}", json={"status": "closed"}, headers={**headers, "If-Match": "*"}
        )
        assert r.status_code == 403, (role, r.text)
    assert client.get(f"{REF}/courts").status_code == 401
    assert client.post(f"{REF}/courts", json=new_court).status_code == 401


def test_admin_creates_and_patches(client, admin, district_ids, db):
    body = {
        "province": "Sindh",
        "district_id": district_ids["HYD"],
        "court_type": "sessions",
        "name": "Test Sessions Court, Hyderabad",
    }
    r = client.post(f"{REF}/courts", json=body, headers=admin)
    assert r.status_code == 201, r.text
    court = r.json()
    etag = r.headers["etag"]
    url = f"{REF}/courts/{court['id']}"
    assert client.get(url, headers=admin).headers["etag"] == etag

    assert client.post(f"{REF}/courts", json=body, headers=admin).status_code == 409
    assert (
        client.post(f"{REF}/courts", json={**body, "district_id": 999999}, headers=admin).status_code == 422
    )
    assert client.post(f"{REF}/courts", json={**body, "id": 5}, headers=admin).status_code == 422
    assert client.post(f"{REF}/courts", json={**body, "court_type": "x"}, headers=admin).status_code == 422

    assert client.patch(url, json={"status": "closed"}, headers=admin).status_code == 428
    r = client.patch(url, json={"status": "closed"}, headers={**admin, "If-Match": '"court-0-v0"'})
    assert r.status_code == 412
    r = client.patch(
        url, json={"status": "closed", "name": "Renamed Court"}, headers={**admin, "If-Match": etag}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["name"] == "Renamed Court"
    assert r.headers["etag"] != etag
    r2 = client.patch(url, json={"district_id": 999999}, headers={**admin, "If-Match": r.headers["etag"]})
    assert r2.status_code == 422
    r2 = client.patch(url, json={"name": None}, headers={**admin, "If-Match": r.headers["etag"]})
    assert r2.status_code == 422, r2.text
    assert r2.json()["errors"][0]["loc"] == ["body", "name"]
    db.expire_all()
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "court", AuditEntry.entity_id == str(court["id"]))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].details["changes"]["status"] == {"from": "active", "to": "closed"}


def test_duplicate_natural_keys(client, admin, district_ids, db):
    existing = db.scalar(select(m.Offence).where(m.Offence.statute == "PPC").limit(1))
    r = client.post(
        f"{REF}/offences",
        json={
            "statute": "PPC",
            "section": existing.section,
            "title": "Dup",
            "ata_scheduled": "no",
            "bailable": "no",
            "cognizable": "yes",
            "compoundable": "no",
        },
        headers=admin,
    )
    assert r.status_code == 409, r.text
    r = client.post(
        f"{REF}/districts",
        json={"code": "KHI-S", "name": "Again", "province": "Sindh", "division": "Karachi"},
        headers=admin,
    )
    assert r.status_code == 409, r.text
    station = db.scalar(select(m.PoliceStation).limit(1))
    r = client.post(
        f"{REF}/police-stations",
        json={"district_id": station.district_id, "name": station.name},
        headers=admin,
    )
    assert r.status_code == 409
    r = client.post(f"{REF}/police-stations", json={"district_id": 999999, "name": "New PS"}, headers=admin)
    assert r.status_code == 422
    r = client.post(
        f"{REF}/police-stations", json={"district_id": district_ids["HYD"], "name": "PS Naya"}, headers=admin
    )
    assert r.status_code == 201
    # renaming onto an existing natural key is a conflict too
    other = db.scalar(
        select(m.PoliceStation)
        .where(m.PoliceStation.district_id == station.district_id, m.PoliceStation.id != station.id)
        .limit(1)
    )
    etag = client.get(f"{REF}/police-stations/{other.id}", headers=admin).headers["etag"]
    r = client.patch(
        f"{REF}/police-stations/{other.id}", json={"name": station.name}, headers={**admin, "If-Match": etag}
    )
    assert r.status_code == 409
    assert client.get(f"{REF}/police-stations/999999", headers=admin).status_code == 404


def test_loader_is_idempotent_and_keeps_admin_edits(client, admin, db):
    district = db.scalar(select(m.District).where(m.District.code == "HYD"))
    etag = client.get(f"{REF}/districts/{district.id}", headers=admin).headers["etag"]
    r = client.patch(
        f"{REF}/districts/{district.id}",
        json={"name": "Hyderabad (edited)"},
        headers={**admin, "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    added = load_reference(db)
    assert set(added.values()) == {0}, added
    assert load_reference(db) == added
    db.expire_all()
    assert db.get(m.District, district.id).name == "Hyderabad (edited)"
    assert db.scalar(select(func.count()).select_from(m.District)) == 70
