"""Demo cases for ``make run``: a realistic spread over Karachi South, Hyderabad and Peshawar, in
every stage, filed, assigned and moved through the services (so numbers, timelines, audit entries,
search rows and deadlines are as real as a user's). Idempotent: nothing happens once any case exists.
Needs the demo users (api.demo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.audit.service import Origin
from api.cases import people, records, service
from api.cases.models import Case, CaseParty
from api.cases.schemas import (
    CaseCreate,
    CaseUpdate,
    DispositionIn,
    PartyIn,
    PoliceReportIn,
    ScrutinyIn,
    TransitionIn,
)
from api.concurrency import etag
from api.db import local_date
from api.permissions import Principal, Role
from api.reference.models import Court, District, Offence, PoliceStation
from api.users.models import User


@dataclass
class DemoCase:
    district: str
    stage: str
    fir_days_ago: int
    offences: list[tuple[str, str]]
    accused: list[tuple[str, str, str]]  # name, name in Urdu, custody status
    complainant: tuple[str, str]
    lead: str | None = None
    associate: str | None = None
    category: str = "ordinary"
    restricted: bool = False
    complex: bool = False
    juvenile: bool = False
    gbv: bool = False
    court_type: str = "sessions"
    witnesses: list[tuple[str, str]] = field(default_factory=list)
    facts: str = ""


K, H, P = "KHI-S", "HYD", "PSH"
CASES: list[DemoCase] = [
    DemoCase(K, "intake", 3, [("PPC", "392"), ("PPC", "34")],
             [("Shahid Mehmood", "شاہد محمود", "arrested"), ("Kamran Ali", "کامران علی", "not_arrested")],
             ("Muhammad Aslam", "محمد اسلم"), facts="Armed robbery of a mobile phone shop on Abdullah Haroon Road."),
    DemoCase(K, "intake", 21, [("PPC", "324")], [("Asif Khan", "آصف خان", "absconding")],
             ("Naveed Ahmed", "نوید احمد"), facts="Shots fired at the complainant outside his house; no report from the police yet."),
    DemoCase(K, "scrutiny", 16, [("PPC", "302(b)"), ("PPC", "34")],
             [("Irfan Baig", "عرفان بیگ", "judicial_custody"), ("Sohail Rana", "سہیل رانا", "judicial_custody")],
             ("Rukhsana Bibi", "رخسانہ بی بی"), lead="pp.south1",
             witnesses=[("Akhtar Hussain", "اختر حسین")], facts="Murder over a property dispute in Lyari."),
    DemoCase(K, "returned", 40, [("PPC", "380"), ("PPC", "411")], [("Faisal Javed", "فیصل جاوید", "on_bail")],
             ("Saeed Anwar", "سعید انور"), lead="pp.south2", facts="Theft from a warehouse; stolen goods recovered."),
    DemoCase(K, "filed", 75, [("CNSA", "9(c)")], [("Zubair Shah", "زبیر شاہ", "judicial_custody")],
             ("SI Tariq Mehmood", "ایس آئی طارق محمود"), lead="pp.south1",
             facts="1.5 kg of charas recovered at a check post."),
    DemoCase(K, "charge", 120, [("PPC", "302(b)")], [("Naeem Qureshi", "نعیم قریشی", "judicial_custody")],
             ("Shabana Parveen", "شبانہ پروین"), lead="pp.south2", associate="pp.south1",
             witnesses=[("Javed Iqbal", "جاوید اقبال"), ("Farooq Ahmed", "فاروق احمد")],
             facts="A shopkeeper shot dead during a quarrel at Saddar."),
    DemoCase(K, "evidence", 260, [("ATA", "7(1)(a)"), ("PPC", "302(b)"), ("PPC", "34")],
             [("Abdul Wahab", "عبدالوہاب", "judicial_custody"), ("Rehman Gul", "رحمان گل", "judicial_custody")],
             ("Inspector Shakeel Ahmed", "انسپکٹر شکیل احمد"), lead="pp.south1", associate="pp.south2",
             category="ata", restricted=True, complex=True, court_type="anti_terrorism",
             witnesses=[("Protected witness A", "محفوظ گواہ الف"), ("Nasir Mehmood", "ناصر محمود")],
             facts="Targeted killing of a police constable; witnesses under protection (ATA s.21)."),
    DemoCase(K, "evidence", 300, [("PPC", "376")], [("Yasir Arafat", "یاسر عرفات", "judicial_custody")],
             ("Complainant (name withheld)", "مدعیہ (نام مخفی)"), lead="pp.south2", restricted=True, gbv=True,
             facts="Sexual assault; the victim's identity is withheld."),
    DemoCase(K, "defence", 420, [("PPC", "395"), ("PPC", "34")],
             [("Gul Hassan", "گل حسن", "on_bail"), ("Sher Ali", "شیر علی", "on_bail")],
             ("Haji Abdul Karim", "حاجی عبدالکریم"), lead="pp.south1", facts="Dacoity at a jewellery shop."),
    DemoCase(K, "arguments", 610, [("Arms", "23(1)(a)")], [("Adnan Sami", "عدنان سمیع", "on_bail")],
             ("ASI Rafiq", "اے ایس آئی رفیق"), lead="pp.south2", facts="An unlicensed pistol recovered on a snap check."),
    DemoCase(K, "judgment", 700, [("PPC", "324"), ("PPC", "34")],
             [("Waqas Ahmed", "وقاص احمد", "released"), ("Junaid Iqbal", "جنید اقبال", "released")],
             ("Mumtaz Begum", "ممتاز بیگم"), lead="pp.south1", facts="Attempted murder; both accused acquitted."),
    DemoCase(K, "dormant", 900, [("PPC", "302(b)")], [("Liaquat Ali", "لیاقت علی", "proclaimed_offender")],
             ("Shamim Akhtar", "شمیم اختر"), lead="pp.south2", facts="The accused absconded after the FIR; declared a proclaimed offender."),
    DemoCase(K, "closed", 1200, [("PPC", "380")], [("Rizwan Haider", "رضوان حیدر", "released")],
             ("Kashif Mehmood", "کاشف محمود"), lead="pp.south1", facts="Theft; the accused convicted and the appeal window passed."),
    DemoCase(H, "intake", 5, [("PPC", "337-A(i)")], [("Allah Dino", "اللہ ڈنو", "arrested")],
             ("Mai Hawa", "مائی حوا"), facts="Injuries in a village quarrel near Tando Jam."),
    DemoCase(H, "scrutiny", 12, [("PPC", "302(b)")], [("Ghulam Qadir", "غلام قادر", "judicial_custody")],
             ("Shahnaz", "شہناز"), lead="pp.hyd1", facts="Murder in a karo-kari dispute.", gbv=True),
    DemoCase(H, "evidence", 340, [("PPC", "365-A")], [("Mir Hassan", "میر حسن", "judicial_custody")],
             ("Seth Lakhmi Chand", "سیٹھ لکھمی چند"), lead="pp.hyd1", category="ata", court_type="anti_terrorism",
             facts="Kidnapping for ransom of a trader.", witnesses=[("Dr. Sunil Kumar", "ڈاکٹر سنیل کمار")]),
    DemoCase(P, "filed", 60, [("PPC", "302(b)")], [("Gul Zaman", "گل زمان", "judicial_custody")],
             ("Bakht Zada", "بخت زادہ"), lead="pp.peshawar1", facts="A blood feud killing in Hayatabad."),
    DemoCase(P, "charge", 150, [("Arms", "15")], [("Amanullah", "امان اللہ", "on_bail")],
             ("SHO Hayatabad", "ایس ایچ او حیات آباد"), lead="pp.peshawar1", facts="Illegal arms recovered from a vehicle."),
]  # fmt: skip

DISTRICT_PROSECUTOR = {K: "dp.south", H: "dp.hyd", P: "dp.peshawar"}
CLERK = {K: "clerk.south", H: "clerk.hyd", P: "dp.peshawar"}


def _principal(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles),
        district_id=user.district_id,
        session_id="demo",
    )


def seed(session: Session) -> list[Case]:
    if session.scalar(select(exists().where(Case.id.isnot(None)))):
        return []
    users = {u.username: u for u in session.scalars(select(User))}
    if "dp.south" not in users:
        return []
    districts = {d.code: d for d in session.scalars(select(District))}
    offences = {(o.statute, o.section): o.id for o in session.scalars(select(Offence))}
    origin = Origin()
    today = local_date()
    made = []
    for n, spec in enumerate(CASES):
        district = districts[spec.district]
        dp = _principal(users[DISTRICT_PROSECUTOR[spec.district]])
        # a clerk does not see a restricted case once filed: the district prosecutor files those
        clerk = dp if spec.restricted else _principal(users[CLERK[spec.district]])
        stations = list(
            session.scalars(select(PoliceStation.id).where(PoliceStation.district_id == district.id))
        )
        active = select(Court.id).where(Court.sitting).order_by(Court.id)
        courts = list(
            session.scalars(
                active.where(Court.district_id == district.id, Court.court_type == spec.court_type)
            )
        ) or list(session.scalars(active.where(Court.district_id == district.id)))
        if spec.court_type == "anti_terrorism" and spec.district == K:  # Karachi's ATCs are division-wide
            courts = list(
                session.scalars(
                    active.where(Court.court_type == "anti_terrorism", Court.district_id.is_(None))
                )
            )
        fir_date = today - timedelta(days=spec.fir_days_ago)
        data = CaseCreate.model_validate(
            {
                "district_id": district.id,
                "category": spec.category,
                "restricted": spec.restricted,
                "complex": spec.complex,
                "juvenile": spec.juvenile,
                "gender_based_violence": spec.gbv,
                "fir": {
                    "number": str(100 + n * 7),
                    "date": fir_date.isoformat(),
                    "police_station_id": stations[n % len(stations)],
                    "brief_facts": spec.facts or None,
                },
                "offences": [{"offence_id": offences[o]} for o in spec.offences if o in offences]
                or [{"offence_id": offences[("PPC", "302(b)")]}],
                "accused": [
                    {"name": name, "name_ur": name_ur, "custody_status": custody}
                    for name, name_ur, custody in spec.accused
                ],
                "complainant": {"name": spec.complainant[0], "name_ur": spec.complainant[1]},
            }
        )
        case = service.create_case(session, data=data, principal=clerk, origin=origin)
        for name, name_ur in spec.witnesses:
            people.add_party(
                session,
                principal=clerk,
                case_id=case.id,
                data=PartyIn(
                    role="witness",
                    name=name,
                    name_ur=name_ur,
                    witness_type="private",
                    witness_status="cited",
                    protected=name.startswith("Protected"),
                ),
                origin=origin,
            )
        for username, role in ((spec.lead, "lead"), (spec.associate, "associate")):
            if username:
                service.assign(
                    session,
                    principal=dp,
                    case_id=case.id,
                    prosecutor_id=users[username].id,
                    role=role,
                    reason="Allocated on receipt" if role == "lead" else "Complex case: second counsel",
                    origin=origin,
                )
        _walk(session, case, spec, dp, courts[n % len(courts)], fir_date, origin)
        made.append(case)
    return made


def _move(session: Session, case: Case, dp: Principal, to: str, origin: Origin, **extra: str) -> None:
    service.transition(
        session, principal=dp, case_id=case.id, data=TransitionIn(to=to, **extra), origin=origin
    )


def _walk(
    session: Session,
    case: Case,
    spec: DemoCase,
    dp: Principal,
    court_id: int,
    fir_date: date,
    origin: Origin,
) -> None:
    """Take the case from intake to its demo stage the way an office would."""
    target = spec.stage
    if target == "intake":
        return
    report_day = fir_date + timedelta(days=min(12, spec.fir_days_ago - 1))
    report, _case = records.add_report(
        session,
        principal=dp,
        case_id=case.id,
        data=PoliceReportIn(kind="final", received_on=report_day),
        origin=origin,
    )
    _move(session, case, dp, "scrutiny", origin)
    if target == "scrutiny":
        return
    if target == "returned":
        records.add_review(
            session,
            principal=dp,
            case_id=case.id,
            data=ScrutinyIn(
                police_report_id=report.id,
                decision="defective_returned",
                defects=["missing_witness_statements_161", "missing_fsl_report"],
                returned_on=report_day + timedelta(days=2),
                notes="Statements of the recovery witnesses and the FSL report are missing.",
            ),
            origin=origin,
        )
        _move(session, case, dp, "returned", origin, note="Returned to the police for the missing documents")
        return
    records.add_review(
        session,
        principal=dp,
        case_id=case.id,
        data=ScrutinyIn(police_report_id=report.id, decision="fit", notes="Fit for filing in court."),
        origin=origin,
    )
    service.update_case(
        session,
        principal=dp,
        case_id=case.id,
        data=CaseUpdate(court_id=court_id),
        if_match=etag(service.ETAG_KIND, case.id, case.version),
        origin=origin,
    )
    path = ["filed", "charge", "evidence", "defence", "arguments", "judgment"]
    final = "judgment" if target in ("judgment", "closed") else "arguments" if target == "dormant" else target
    for stage in path[: path.index(final) + 1] if final in path else []:
        if stage == "judgment":
            _dispose(session, case, dp, spec, origin)
        _move(session, case, dp, stage, origin)
    if target == "closed":
        _move(session, case, dp, "closed", origin, reason="appeal_window_passed", note="No appeal filed")
    if target == "dormant":
        _move(session, case, dp, "dormant", origin, note="All accused proclaimed offenders (ss.87-88 CrPC)")


def _dispose(session: Session, case: Case, dp: Principal, spec: DemoCase, origin: Origin) -> None:
    accused = session.scalars(
        select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.role == "accused")
    ).all()
    acquitted = spec.stage == "judgment"
    for party in accused:
        records.add_disposition(
            session,
            principal=dp,
            case_id=case.id,
            data=DispositionIn(
                party_id=party.id,
                outcome="acquitted" if acquitted else "convicted",
                sentence=None
                if acquitted
                else "Rigorous imprisonment for three years and a fine of Rs. 50,000",
                reason="witnesses_hostile" if acquitted else None,
                decided_on=local_date(),
            ),
            origin=origin,
        )
