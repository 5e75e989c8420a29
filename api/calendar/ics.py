"""Building the iCalendar (RFC 5545) text of a feed with the ``icalendar`` library: CRLF line ends,
lines folded at 75 octets, UTC date-times for hearings, all-day events for due dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from api.config import get_settings
from api.db import utcnow

PRODID = "-//CMMS//Hearings and due dates//EN"


@dataclass
class Entry:
    """One event: timed (``starts``/``ends``) or all-day (``day``)."""

    uid: str
    summary: str
    stamp: datetime | None = None
    starts: datetime | None = None
    ends: datetime | None = None
    day: date | None = None
    location: str | None = None
    description: str = ""
    link: str | None = None
    sequence: int = 0


def build(*, name: str, entries: list[Entry]) -> bytes:
    settings = get_settings()
    base = settings.public_url.rstrip("/")
    host = urlsplit(base).hostname or "cmms"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.timezone)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    now = utcnow()
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@{host}")
        event.add("dtstamp", (entry.stamp or now).replace(microsecond=0))
        event.add("sequence", entry.sequence)
        event.add("summary", entry.summary)
        if entry.day is not None:
            event.add("dtstart", entry.day)
            event.add("dtend", entry.day + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        else:
            assert entry.starts is not None and entry.ends is not None
            event.add("dtstart", entry.starts.replace(microsecond=0))
            event.add("dtend", entry.ends.replace(microsecond=0))
        if entry.location:
            event.add("location", entry.location)
        description = entry.description
        if entry.link:
            url = base + entry.link
            event.add("url", url)
            description = f"{description}\n{url}" if description else url
        if description:
            event.add("description", description)
        cal.add_component(event)
    return cal.to_ical()
