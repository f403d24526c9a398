"""Building the MIME message and handing it to the configured SMTP server."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from app.db.models import OutboxEmail


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_ssl: bool = False
    timeout: int = 10
    mail_from: str = "orders@orderdesk.localhost"

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SmtpSettings:
        return cls(
            host=config.get("SMTP_HOST") or None, port=int(config.get("SMTP_PORT") or 25),
            username=config.get("SMTP_USERNAME") or None, password=config.get("SMTP_PASSWORD") or None,
            starttls=bool(config.get("SMTP_STARTTLS")), use_ssl=bool(config.get("SMTP_SSL")),
            timeout=int(config.get("SMTP_TIMEOUT") or 10),
            mail_from=config.get("MAIL_FROM") or "orders@orderdesk.localhost",
        )


def build_message(email: OutboxEmail, mail_from: str, sender_name: str | None = None) -> EmailMessage:
    """multipart/mixed: the text and HTML alternatives, then the PDF attachment."""
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = Address(display_name=" ".join(sender_name.split()), addr_spec=mail_from) if sender_name else mail_from
    message["To"] = ", ".join(email.recipients)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=email.id.replace("-", ""), domain=mail_from.rpartition("@")[2] or None)
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    if email.attachment:
        message.add_attachment(email.attachment, maintype="application", subtype="pdf",
                               filename=email.attachment_name or "confirmation.pdf")
    return message


def send(message: EmailMessage, settings: SmtpSettings) -> None:
    """Deliver over SMTP; raises OSError/smtplib.SMTPException when it cannot."""
    if settings.use_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host or "", settings.port, timeout=settings.timeout,
                                               context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.host or "", settings.port, timeout=settings.timeout)
    with client:
        if settings.starttls and not settings.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(message)
