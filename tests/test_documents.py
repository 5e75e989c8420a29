"""Documents: upload / list / download round trip, versions, the type allow-list, the size limit,
filename sanitising, roles and confidentiality, audit, search, and the scrutiny memo."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import zipfile
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fpdf import FPDF
from pypdf import PdfReader
from sqlalchemy import select

from api.audit.models import AuditEntry
from api.audit.service import Origin
from api.cases import service as cases_service
from api.cases.models import CaseEvent, PoliceReport, ScrutinyReview
from api.cases.schemas import CaseCreate
from api.config import get_settings
from api.documents import files, intake
from api.documents.models import KINDS
from api.documents.schemas import Kind
from api.documents.storage import LocalStorage
from api.errors import PayloadTooLarge, UnsupportedMediaType
from api.permissions import Principal, Role
from api.reference.models import District, Offence, PoliceStation

FIR_DATE = date.today() - timedelta(days=30)


def principal_of(user: Any) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles),
        district_id=user.district_id,
        session_id="test",
    )


def new_case(
    db: Any, user: Any, *, district: str = "KHI-S", fir: str = "101", restricted: bool = False
) -> Any:
    district_id = db.scalar(select(District.id).where(District.code == district))
    station = db.scalar(
        select(PoliceStation.id).where(PoliceStation.district_id == district_id).order_by(PoliceStation.id)
    )
    offences = list(db.scalars(select(Offence.id).order_by(Offence.id).limit(2)))
    data = CaseCreate.model_validate(
        {
            "district_id": district_id,
            "category": "ordinary",
            "restricted": restricted,
            "fir": {"number": fir, "date": FIR_DATE.isoformat(), "police_station_id": station},
            "offences": [{"offence_id": o} for o in offences],
            "accused": [
                {"name": "Muhammad Aslam", "name_ur": "محمد اسلم", "custody_status": "judicial_custody"},
                {"name": "Bilal Ahmed", "custody_status": "absconding"},
            ],
        }
    )
    return cases_service.create_case(db, data=data, principal=principal_of(user), origin=Origin())


def pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


DOCX = zip_bytes([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
ODT = zip_bytes([("mimetype", files.ODT.encode()), ("content.xml", b"<office:document-content/>")])


@pytest.fixture
def world(db: Any, make_user: Any, login: Any) -> dict[str, Any]:
    dp = make_user("district_prosecutor", district="KHI-S")
    clerk = make_user("clerk", district="KHI-S")
    lead = make_user("prosecutor", district="KHI-S")
    case = new_case(db, clerk)
    cases_service.assign(
        db,
        principal=principal_of(dp),
        case_id=case.id,
        prosecutor_id=lead.id,
        role="lead",
        reason=None,
        origin=Origin(),
    )
    db.flush()
    users = {"dp": dp, "clerk": clerk, "lead": lead}
    return {
        "case": case,
        "users": users,
        "h": {k: login(u.username) for k, u in users.items()},
    }


def upload(
    client: Any,
    case_id: int,
    headers: dict[str, str],
    content: bytes,
    *,
    filename: str = "fir.pdf",
    kind: str = "fir_copy",
    title: str = "FIR copy",
    confidential: bool | None = None,
    client_type: str = "application/pdf",
) -> Any:
    data = {"kind": kind, "title": title}
    if confidential is not None:
        data["confidential"] = "true" if confidential else "false"
    return client.post(
        f"/api/v1/cases/{case_id}/documents",
        headers=headers,
        files={"file": (filename, content, client_type)},
        data=data,
    )


def raw_upload(client: Any, case_id: int, headers: dict[str, str], filename: bytes, content: bytes) -> Any:
    """A hand-built multipart body, to send a filename exactly as given (control characters too)."""
    b = b"----cmmsboundary"
    body = b"".join(
        [
            b"--" + b + b'\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n',
            b"--" + b + b'\r\nContent-Disposition: form-data; name="title"\r\n\r\nRaw\r\n',
            b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n",
            b"--" + b + b"--\r\n",
        ]
    )
    return client.post(
        f"/api/v1/cases/{case_id}/documents",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=" + b.decode()},
        content=body,
    )


# --- round trip -------------------------------------------------------------------------------


def test_upload_list_download_round_trip(client, world, db):
    case, h = world["case"], world["h"]
    content = pdf_bytes("First information report zebracrossing")
    r = upload(client, case.id, h["clerk"], content)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert r.headers["ETag"] == f'"document-{doc["id"]}-v1"'
    assert r.headers["Location"] == f"/api/v1/documents/{doc['id']}"
    sha = hashlib.sha256(content).hexdigest()
    assert doc | {"uploaded_at": None} == doc | {
        "case_id": case.id,
        "kind": "fir_copy",
        "title": "FIR copy",
        "version": 1,
        "filename": "fir.pdf",
        "media_type": "application/pdf",
        "size": len(content),
        "sha256": sha,
        "confidential": False,
        "has_text": True,
        "uploaded_by": world["users"]["clerk"].id,
        "uploaded_at": None,
        "content_url": f"/api/v1/documents/{doc['id']}/content",
    }
    stored = LocalStorage(get_settings().files_dir).path(sha)
    assert stored.read_bytes() == content
    assert stored.parent.parent.name == sha[:2] and stored.parent.name == sha[2:4]

    listed = client.get(f"/api/v1/cases/{case.id}/documents", headers=h["lead"]).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == doc["id"]

    meta = client.get(f"/api/v1/documents/{doc['id']}", headers=h["lead"])
    assert meta.status_code == 200 and meta.headers["ETag"] == f'"document-{doc["id"]}-v1"'

    got = client.get(doc["content_url"], headers=h["lead"])
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == "attachment; filename=\"fir.pdf\"; filename*=UTF-8''fir.pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["etag"] == f'"{sha}"'
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert got.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert got.headers["content-length"] == str(len(content))

    # the upload is in the timeline and the audit log; the download is audited
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "document"))
    assert [e.details["document_id"] for e in events] == [doc["id"]]
    actions = db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity_type == "document", AuditEntry.entity_id == str(doc["id"])
        )
    ).all()
    assert actions == ["upload", "download"]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "download"))
    assert entry.actor_id == world["users"]["lead"].id and entry.details["sha256"] == sha


def test_pdf_text_is_searchable(client, world):
    case, h = world["case"], world["h"]
    assert (
        upload(client, case.id, h["clerk"], pdf_bytes("Recovered a Kalashnikov quuxwidget")).status_code
        == 201
    )
    found = client.get("/api/v1/cases", params={"q": "quuxwidget"}, headers=h["dp"]).json()
    assert [c["id"] for c in found["items"]] == [case.id]
    # a confidential document's text stays out of the index
    r = upload(
        client, case.id, h["clerk"], pdf_bytes("secret frobnicator"), title="Secret", confidential=True
    )
    assert r.status_code == 201 and r.json()["confidential"] is True
    assert client.get("/api/v1/cases", params={"q": "frobnicator"}, headers=h["dp"]).json()["total"] == 0


def test_new_upload_of_same_kind_and_title_is_next_version(client, world):
    case, h = world["case"], world["h"]
    ids = []
    for i in range(3):
        r = upload(
            client,
            case.id,
            h["clerk"],
            f"challan draft {i}\n".encode(),
            filename="c.txt",
            kind="challan",
            title="Final challan",
        )
        assert r.status_code == 201, r.text
        assert r.json()["version"] == i + 1
        ids.append(r.json()["id"])
    other = upload(
        client, case.id, h["clerk"], b"another", filename="o.txt", kind="order", title="Final challan"
    )
    assert other.json()["version"] == 1  # another kind, its own versions
    latest = client.get(f"/api/v1/cases/{case.id}/documents", headers=h["lead"]).json()
    assert sorted((d["kind"], d["version"]) for d in latest["items"]) == [("challan", 3), ("order", 1)]
    history = client.get(
        f"/api/v1/cases/{case.id}/documents",
        params={"all_versions": "true", "kind": "challan", "sort": "version"},
        headers=h["lead"],
    ).json()
    assert [d["version"] for d in history["items"]] == [1, 2, 3] and [
        d["id"] for d in history["items"]
    ] == ids
    # older versions stay downloadable
    assert (
        client.get(f"/api/v1/documents/{ids[0]}/content", headers=h["lead"]).content == b"challan draft 0\n"
    )


# --- types ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "media_type", "name"),
    [
        (pdf_bytes("x"), "application/pdf", "a.pdf"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg", "a.jpg"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png", "a.png"),
        (b"II*\x00" + b"\0" * 64, "image/tiff", "a.tif"),
        (b"MM\x00*" + b"\0" * 64, "image/tiff", "a.tiff"),
        (DOCX, files.DOCX, "a.docx"),
        (ODT, files.ODT, "a.odt"),
        ("بیان گواہ\nstatement\n".encode(), "text/plain; charset=utf-8", "a.txt"),
    ],
)
def test_allowed_types_are_detected_from_the_bytes(client, world, content, media_type, name):
    r = upload(
        client,
        world["case"].id,
        world["h"]["clerk"],
        content,
        filename=name,
        client_type="application/x-anything",
    )
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == media_type
    got = client.get(r.json()["content_url"], headers=world["h"]["clerk"])
    assert got.headers["content-type"] == media_type and got.content == content


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 64,  # Windows EXE
        b"\x7fELF\x02\x01\x01" + b"\0" * 64,  # ELF
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"  \n<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"text with a NUL\x00 inside",
        b"\xc3\x28 invalid utf-8 here",
        b"GIF89a" + b"\0" * 32,
        zip_bytes([("payload.exe", b"MZ")]),  # a ZIP that is neither DOCX nor ODT
        b"PK\x03\x04 not really a zip",
    ],
)
def test_other_types_are_refused_415_whatever_the_name(client, world, content):
    r = upload(client, world["case"].id, world["h"]["clerk"], content, filename="innocent.pdf")
    assert r.status_code == 415, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (
        client.get(f"/api/v1/cases/{world['case'].id}/documents", headers=world["h"]["clerk"]).json()["total"]
        == 0
    )
    assert not list((get_settings().files_dir / ".staging").glob("*"))


def test_empty_file_and_bad_fields_are_422(client, world):
    case, h = world["case"], world["h"]["clerk"]
    assert upload(client, case.id, h, b"").status_code == 422
    assert upload(client, case.id, h, b"text", kind="selfie").status_code == 422
    assert upload(client, case.id, h, b"text", title="   ").status_code == 422
    r = client.post(f"/api/v1/cases/{case.id}/documents", headers=h, data={"kind": "other", "title": "x"})
    assert r.status_code in (415, 422)  # no file (and, without one, not multipart at all)
    r = client.post(f"/api/v1/cases/{case.id}/documents", headers=h, json={"kind": "other"})
    assert r.status_code == 415


def test_kinds_match_the_schema():
    from typing import get_args

    assert get_args(Kind) == KINDS


# --- size -------------------------------------------------------------------------------------


def test_oversize_upload_is_413(client, world, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_upload_mb", 1)
    case, h = world["case"], world["h"]["clerk"]
    r = upload(client, case.id, h, b"a" * (intake.MIB + 1), filename="big.txt")
    assert r.status_code == 413, r.text
    assert r.json()["status"] == 413
    assert upload(client, case.id, h, b"a" * intake.MIB, filename="fits.txt").status_code == 201
    assert not list((get_settings().files_dir / ".staging").glob("*"))


def test_declared_content_length_is_refused_before_reading():
    with pytest.raises(PayloadTooLarge):
        intake.check_declared_size(str(50 * intake.MIB + intake.FORM_ALLOWANCE + 1), 50 * intake.MIB)
    intake.check_declared_size(str(50 * intake.MIB), 50 * intake.MIB)
    intake.check_declared_size(None, 50 * intake.MIB)


def _body(content: bytes) -> tuple[bytes, str]:
    b = "xyzboundary"
    head = (
        f'--{b}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n'
        f'--{b}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig\r\n'
        f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n\r\n'
    ).encode()
    return head + content + f"\r\n--{b}--\r\n".encode(), f"multipart/form-data; boundary={b}"


def test_streaming_stops_reading_as_soon_as_the_limit_is_passed(tmp_path):
    """The body is consumed chunk by chunk and abandoned at the limit: never read whole."""
    chunk = 64 * 1024
    body, ctype = _body(b"a" * (20 * intake.MIB))
    consumed = 0

    async def stream():
        nonlocal consumed
        for i in range(0, len(body), chunk):
            consumed += 1
            yield body[i : i + chunk]

    storage = LocalStorage(tmp_path)
    with pytest.raises(PayloadTooLarge):
        asyncio.run(
            intake.receive(
                content_type=ctype, content_length=None, stream=stream(), storage=storage, limit=intake.MIB
            )
        )
    assert consumed <= intake.MIB // chunk + 2
    assert not list((tmp_path / ".staging").glob("*"))


def test_streaming_refuses_a_binary_early(tmp_path):
    chunk = 64 * 1024
    body, ctype = _body(b"\x7fELF" + b"\0" * (5 * intake.MIB))
    consumed = 0

    async def stream():
        nonlocal consumed
        for i in range(0, len(body), chunk):
            consumed += 1
            yield body[i : i + chunk]

    with pytest.raises(UnsupportedMediaType):
        asyncio.run(
            intake.receive(
                content_type=ctype,
                content_length=None,
                stream=stream(),
                storage=LocalStorage(tmp_path),
                limit=50 * intake.MIB,
            )
        )
    assert consumed <= 2


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("C:\\Users\\clerk\\fir.pdf", "fir.pdf"),
        ("C:fir.pdf", "fir.pdf"),
        ("/abs/path/a.pdf", "a.pdf"),
        ("ایف آئی آر.pdf", "ایف آئی آر.pdf"),
        ("a\x00b\x1fc\x7f.pdf", "abc.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe.pdf"),
        ("report.exe", "report.exe.pdf"),
        ("..", "FIR copy.pdf"),
        ("", "FIR copy.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ('a<b>c:d"e|f?g*.pdf', "a_b_c_d_e_f_g_.pdf"),
        ("x" * 400 + ".pdf", "x" * 146 + ".pdf"),
        ("REPORT.PDF", "REPORT.PDF"),
    ],
)
def test_sanitize_filename(raw, expected):
    assert files.sanitize_filename(raw, media_type=files.PDF, fallback="FIR copy") == expected


def test_traversal_names_never_leave_storage(client, world):
    case, h = world["case"], world["h"]["clerk"]
    for name, expected in (("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\x.pdf", "x.pdf")):
        r = upload(client, case.id, h, pdf_bytes(name), filename=name, title=name)
        assert r.status_code == 201, r.text
        assert r.json()["filename"] == expected
        got = client.get(r.json()["content_url"], headers=h)
        assert f'filename="{expected}"' in got.headers["content-disposition"]


def test_unicode_and_control_characters_in_names(client, world):
    case, h = world["case"], world["h"]["clerk"]
    name = "ایف آئی آر.pdf"
    r = upload(client, case.id, h, pdf_bytes("urdu"), filename=name, title="ایف آئی آر")
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == name and r.json()["title"] == "ایف آئی آر"
    got = client.get(r.json()["content_url"], headers=h)
    assert got.headers["content-disposition"].endswith("filename*=UTF-8''" + quote(name, safe=""))
    r = raw_upload(client, case.id, h, b"bad\x01na\x1bme\x7f.txt", b"plain text")
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "badname.txt"


# --- roles and confidentiality -----------------------------------------------------------------


def test_roles(client, world, as_role):
    case, h = world["case"], world["h"]
    doc = upload(client, case.id, h["lead"], pdf_bytes("by the lead")).json()
    url, content = f"/api/v1/cases/{case.id}/documents", doc["content_url"]

    other_dp = as_role("district_prosecutor", district="KHI-E")
    stranger = as_role("prosecutor", district="KHI-S")  # not on the team
    other_clerk = as_role("clerk", district="KHI-E")
    for headers in (other_dp, stranger, other_clerk):
        assert client.get(url, headers=headers).status_code == 404
        assert client.get(f"/api/v1/documents/{doc['id']}", headers=headers).status_code == 404
        assert client.get(content, headers=headers).status_code == 404
        assert upload(client, case.id, headers, b"x").status_code == 404

    monitor = as_role("monitor")
    for r in (
        client.get(url, headers=monitor),
        client.get(content, headers=monitor),
        upload(client, case.id, monitor, b"x"),
    ):
        assert r.status_code == 403

    auditor = as_role("auditor")
    assert client.get(content, headers=auditor).status_code == 200
    assert client.get(url, headers=auditor).json()["total"] == 1
    assert upload(client, case.id, auditor, b"x").status_code == 403
    admin = as_role("admin")
    assert client.get(url, headers=admin).status_code == 403
    assert client.get("/api/v1/documents/999999", headers=h["dp"]).status_code == 404


def test_confidential_documents(client, world, as_role, make_user, login):
    case, h = world["case"], world["h"]
    doc = upload(
        client,
        case.id,
        h["clerk"],
        pdf_bytes("statement of protected witness"),
        title="PW statement",
        confidential=True,
    ).json()
    other_clerk = as_role("clerk", district="KHI-S")  # same district, not the uploader, not on the team
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=other_clerk).status_code == 404
    assert client.get(doc["content_url"], headers=other_clerk).status_code == 404
    assert client.get(f"/api/v1/cases/{case.id}/documents", headers=other_clerk).json()["total"] == 0
    for who in (h["clerk"], h["lead"], h["dp"], as_role("auditor"), as_role("prosecutor_general")):
        assert client.get(doc["content_url"], headers=who).status_code == 200
        assert client.get(f"/api/v1/cases/{case.id}/documents", headers=who).json()["total"] == 1


# --- scrutiny memo ----------------------------------------------------------------------------


def _review(db: Any, case: Any, reviewer: Any, **kw: Any) -> ScrutinyReview:
    report = PoliceReport(case_id=case.id, kind="final", received_on=FIR_DATE + timedelta(days=16))
    db.add(report)
    db.flush()
    review = ScrutinyReview(
        case_id=case.id,
        police_report_id=report.id,
        decision=kw.get("decision", "defective_returned"),
        defects=kw.get("defects", ["missing_fsl_report", "wrong_sections"]),
        returned_on=FIR_DATE + timedelta(days=18),
        notes="Record the statements of the eye-witnesses.",
        reviewed_by=reviewer.id,
    )
    db.add(review)
    db.flush()
    return review


def test_scrutiny_memo(client, world, db):
    case, h, lead = world["case"], world["h"], world["users"]["lead"]
    review = _review(db, case, lead)
    url = f"/api/v1/cases/{case.id}/scrutiny/{review.id}/memo"
    r = client.post(url, headers=h["lead"])
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["kind"] == "scrutiny_memo" and doc["version"] == 1 and doc["media_type"] == "application/pdf"
    assert doc["scrutiny_review_id"] == review.id and doc["has_text"] is True
    assert r.headers["ETag"] == f'"document-{doc["id"]}-v1"'
    pdf = client.get(doc["content_url"], headers=h["lead"])
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert case.number in text
    assert f"{case.fir_number}/{case.fir_year}" in text
    assert "Muhammad Aslam" in text and "Judicial custody" in text
    assert "16 days from the FIR" in text
    assert "returned to the police" in text
    assert lead.full_name in text
    again = client.post(url, headers=h["lead"])
    assert again.status_code == 201 and again.json()["version"] == 2

    other_case = new_case(db, world["users"]["clerk"], fir="202")
    assert (
        client.post(f"/api/v1/cases/{other_case.id}/scrutiny/{review.id}/memo", headers=h["dp"]).status_code
        == 404
    )
    assert client.post(f"/api/v1/cases/{case.id}/scrutiny/999999/memo", headers=h["lead"]).status_code == 404


def test_memo_renders_without_unicode_fonts(monkeypatch):
    from api.documents import memo

    monkeypatch.setattr(memo, "FONT_DIRS", ())
    data = memo.MemoData(
        case_number="KHI-S-2026-000001",
        case_title="State v. X",
        district="Karachi South",
        category="ordinary",
        fir_number="1",
        fir_year=2026,
        fir_date=date(2026, 1, 1),
        police_station="Clifton",
        court=None,
        decision="fit",
        defects=[],
        returned_on=None,
        resubmitted_on=None,
        returns_count=0,
        notes="ملزم",
        prosecutor="A. Prosecutor",
        reviewed_on=date(2026, 1, 5),
        review_id=1,
        accused=[memo.AccusedLine("X", "ایکس", None, "on_bail")],
    )
    text = PdfReader(io.BytesIO(memo.render(data))).pages[0].extract_text()
    assert "KHI-S-2026-000001" in text
