"""The stage graph of DOMAIN.md, enforced in one place, with its guards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

TRIAL = ("filed", "charge", "evidence", "defence", "arguments")
FROM_FILED_ON = (*TRIAL, "judgment", "appeal")

#: stage → the stages it may move to (``dormant`` returns to the stage it left: see ``next_stages``)
GRAPH: dict[str, tuple[str, ...]] = {
    "intake": ("scrutiny",),
    "scrutiny": ("returned", "filed", "closed"),
    "returned": ("scrutiny",),
    "filed": ("charge", "judgment", "dormant"),
    "charge": ("evidence", "judgment", "dormant"),
    "evidence": ("defence", "judgment", "dormant"),
    "defence": ("arguments", "judgment", "dormant"),
    "arguments": ("judgment", "dormant"),
    "judgment": ("appeal", "closed", "dormant"),
    "appeal": ("closed", "dormant"),
    "closed": (),
    "dormant": (),
}

#: recorded reasons that let a trial end in judgment before every accused has a disposition
EARLY_JUDGMENT_REASONS = {
    "s265k_acquittal": "Acquittal under s.265-K CrPC",
    "s249a_acquittal": "Acquittal under s.249-A CrPC",
    "s345_compromise": "Compromise under s.345 CrPC",
    "s494_withdrawal": "Withdrawal under s.494 CrPC",
}
ABSCONDING = ("absconding", "proclaimed_offender")


def next_stages(stage: str, dormant_from: str | None = None) -> tuple[str, ...]:
    if stage == "dormant":
        return (dormant_from,) if dormant_from else ()
    return GRAPH[stage]


@dataclass(frozen=True)
class CaseFacts:
    """What the guards look at, gathered by the service."""

    stage: str
    dormant_from: str | None
    court_id: int | None
    accused_custody: tuple[str, ...]
    accused_without_disposition: int
    judgment_date: date | None
    appeal_window_days: int


class IllegalMove(Exception):
    def __init__(self, message: str, allowed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.allowed = allowed


def check(facts: CaseFacts, to: str, *, reason: str | None, note: str | None, today: date) -> None:
    """Raise IllegalMove unless ``facts.stage → to`` is legal now."""
    allowed = next_stages(facts.stage, facts.dormant_from)
    if to not in allowed:
        raise IllegalMove(f"A case in '{facts.stage}' cannot move to '{to}'.", allowed)
    if to == "filed" and facts.court_id is None:
        raise IllegalMove("Set the court before filing the case (PATCH court_id).", allowed)
    if to == "judgment" and facts.accused_without_disposition and reason not in EARLY_JUDGMENT_REASONS:
        raise IllegalMove(
            f"{facts.accused_without_disposition} accused have no disposition yet: record them, or give a "
            f"reason ({', '.join(EARLY_JUDGMENT_REASONS)}).",
            allowed,
        )
    if to == "closed" and facts.stage == "judgment":
        window_ends = (facts.judgment_date or today) + timedelta(days=facts.appeal_window_days)
        if today <= window_ends and not reason:
            raise IllegalMove(
                f"The appeal window runs until {window_ends.isoformat()}; close earlier only with a reason.",
                allowed,
            )
    if to == "closed" and facts.stage == "scrutiny" and not (reason or note):
        raise IllegalMove(
            "Closing at scrutiny needs the reason (cancellation or discharge accepted).", allowed
        )
    if to == "dormant" and (
        not facts.accused_custody or any(c not in ABSCONDING for c in facts.accused_custody)
    ):
        raise IllegalMove("A case goes dormant only when every accused is absconding.", allowed)
    if facts.stage == "dormant" and all(c in ABSCONDING for c in facts.accused_custody):
        raise IllegalMove("Record the arrest of an accused (custody status) to revive the case.", allowed)
