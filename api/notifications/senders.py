"""Messages that leave the system: e-mail and SMS behind one interface.

``send(to, subject, body)``; the logging sender (the default) writes a log line and delivers
nothing; ``SmtpSender`` sends through the SMTP server of the settings (``CMMS_SMTP_*``). SMS has
no gateway yet: it is the logging sender.

Users carry no e-mail address or phone number today (``users`` has neither column), so
``deliver`` falls back to a log line naming the username: the in-app notification is the message
of record; these are copies."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any, Protocol, runtime_checkable

from api.config import Settings, get_settings

log = logging.getLogger("cmms.senders")


@runtime_checkable
class Sender(Protocol):
    channel: str

    def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one message or raise; ``to`` is an address (or a username for the log)."""
        ...


class LoggingSender:
    """Writes one log line per message; delivers nothing (the default, and SMS)."""

    def __init__(self, channel: str = "email") -> None:
        self.channel = channel

    def send(self, to: str, subject: str, body: str) -> None:
        # the whole message in the log line (the JSON log keeps only the message text)
        log.info("%s to %s: %s\n%s", self.channel, to, subject, body)


class SmtpSender:
    """E-mail through an SMTP server (stdlib smtplib; STARTTLS and login when configured)."""

    channel = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        user: str | None = None,
        password: str | None = None,
        sender: str = "cmms@localhost",
        starttls: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.sender = sender
        self.starttls = starttls
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSender:
        assert settings.smtp_host
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
        )

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def email_sender(settings: Settings | None = None) -> Sender:
    """SMTP when ``CMMS_SMTP_HOST`` is set, else the logging sender."""
    settings = settings or get_settings()
    if settings.smtp_host:
        return SmtpSender.from_settings(settings)
    return LoggingSender("email")


def sms_sender(settings: Settings | None = None) -> Sender:
    """No SMS gateway is configured anywhere yet: always the logging sender."""
    return LoggingSender("sms")


def address_of(user: Any, channel: str = "email") -> str | None:
    """The user's address on a channel, when the user record has one (today: never)."""
    value = getattr(user, "email" if channel == "email" else "phone", None)
    return value or None


def deliver(sender: Sender, *, user: Any, subject: str, body: str) -> bool:
    """Send a copy to the user's address on the sender's channel; without one, log it under the
    username. Returns whether it went out. A failing server is logged, never raised: the in-app
    notification already stands."""
    address = address_of(user, sender.channel)
    if address is None:
        LoggingSender(sender.channel).send(
            f"user:{user.username} (no {sender.channel} address)", subject, body
        )
        return False
    try:
        sender.send(address, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("%s to %s failed: %s", sender.channel, address, exc)
        return False
    return True
