"""Real local servers for the channel tests, on loopback: an SFTP server (asyncssh's own SFTP server,
chrooted to a temporary folder), a minimal IMAP4rev1 server (the commands imaplib sends for polling),
and an SMTP sink (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import asyncio
import re
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- SFTP -------------------------------------------------------------------------------------------


@dataclass
class SftpServer:
    root: Path
    port: int
    host_key: str  # public key line, for the connection's sftp_host_key
    username: str
    password: str


class _PasswordServer(asyncssh.SSHServer):
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (self.username, self.password)


@contextmanager
def sftp_server(root: Path, *, username: str = "acme", password: str = "s3cret-sftp") -> Iterator[SftpServer]:
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        acceptor = await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            server_factory=lambda: _PasswordServer(username, password),
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
        )
        holder["acceptor"] = acceptor
        holder["port"] = acceptor.sockets[0].getsockname()[1]
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True, name="test-sftp")
    thread.start()
    assert ready.wait(10), "SFTP server did not start"
    try:
        yield SftpServer(
            root, holder["port"], host_key.export_public_key().decode().strip(), username, password
        )
    finally:

        async def stop() -> None:
            holder["acceptor"].close()
            await holder["acceptor"].wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# --- IMAP ---------------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    username: str = "orders@acme-fulfillment.example"
    password: str = "imap-pass-41"
    messages: list[dict[str, Any]] = field(default_factory=list)  # {"raw": bytes, "seen": bool}
    commands: list[str] = field(default_factory=list)

    def deliver(self, raw: bytes) -> None:
        self.messages.append({"raw": raw, "seen": False})


_ARGS = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


class _ImapHandler(socketserver.StreamRequestHandler):
    """LOGIN, CAPABILITY, SELECT, SEARCH UNSEEN, FETCH (BODY.PEEK[] | RFC822), STORE +FLAGS, NOOP, LOGOUT."""

    server: _ImapServer

    def send(self, text: str | bytes) -> None:
        self.wfile.write(text.encode() if isinstance(text, str) else text)
        self.wfile.flush()

    def handle(self) -> None:
        box = self.server.mailbox
        authed = False
        self.send("* OK [CAPABILITY IMAP4rev1] test IMAP server ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            box.commands.append(command)
            parts = [a or b for a, b in _ARGS.findall(args)]
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK CAPABILITY completed\r\n")
            elif command == "LOGIN":
                authed = parts[:2] == [box.username, box.password]
                self.send(
                    f"{tag} OK LOGIN completed\r\n"
                    if authed
                    else f"{tag} NO [AUTHENTICATIONFAILED] bad login\r\n"
                )
            elif not authed:
                self.send(f"{tag} BAD log in first\r\n")
            elif command == "SELECT":
                self.send(
                    f"* {len(box.messages)} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n"
                    f"{tag} OK [READ-WRITE] SELECT completed\r\n"
                )
            elif command == "SEARCH":
                found = " ".join(str(i + 1) for i, m in enumerate(box.messages) if not m["seen"])
                self.send(f"* SEARCH{' ' + found if found else ''}\r\n{tag} OK SEARCH completed\r\n")
            elif command == "FETCH":
                number = int(parts[0])
                message = box.messages[number - 1]
                peek = "PEEK" in args.upper()
                item = "BODY[]" if "BODY" in args.upper() else "RFC822"
                if not peek:
                    message["seen"] = True
                raw = message["raw"]
                self.send(f"* {number} FETCH ({item} {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
                self.send(f"{tag} OK FETCH completed\r\n")
            elif command == "STORE":
                number = int(parts[0])
                if "\\SEEN" in args.upper():
                    box.messages[number - 1]["seen"] = True
                self.send(f"* {number} FETCH (FLAGS (\\Seen))\r\n{tag} OK STORE completed\r\n")
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed\r\n")
            elif command == "LOGOUT":
                self.send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                return
            else:
                self.send(f"{tag} BAD unknown command\r\n")


class _ImapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox) -> None:
        super().__init__(("127.0.0.1", 0), _ImapHandler)
        self.mailbox = mailbox


@contextmanager
def imap_server(mailbox: Mailbox) -> Iterator[int]:
    server = _ImapServer(mailbox)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="test-imap")
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


# --- SMTP sink -----------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
