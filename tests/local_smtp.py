"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts, and refuses
recipients while told to: where the e-mail alert tests send."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Inbox:
    """aiosmtpd handler: accepted messages in `messages`; `refuse` = reply 550 to RCPT."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = False
        self.port = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.refuse:
            return "550 5.1.1 <" + address + ">: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(login: tuple[str, str] | None = None) -> Iterator[Inbox]:
    """The server; with `login`, it takes mail only after AUTH with that user and password
    (over plain SMTP, as a server on this host may)."""
    inbox = Inbox()
    inbox.port = free_port()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        given = (auth_data.login.decode(), auth_data.password.decode()) if isinstance(
            auth_data, LoginPassword) else None
        return AuthResult(success=given == login)

    options = ({"authenticator": authenticator, "auth_required": True,
                "auth_require_tls": False} if login else {})
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **options)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def html_body(message: Message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/html"]
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
