"""Where file channels pick files up and put replies: a local folder, or a remote one over SFTP.

Both are a `FileBox` with four roles: inbox (files waiting for us), processed and error (where a file
goes once handled), outbox (997s, 856s, results for the partner). Writes are atomic (a temporary name,
then a rename), so a partner polling our outbox never reads half a file. Failures become connector
errors: RetryableConnectorError when trying again may help, PermanentConnectorError when a person must
change the connection (bad login, missing folder).
"""

from __future__ import annotations

import asyncio
import posixpath
import time
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, Self, TypeVar

import asyncssh
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warpware.connectors.base import PermanentConnectorError, RetryableConnectorError

Role = Literal["inbox", "outbox", "processed", "error"]
_T = TypeVar("_T")
# Names a sender uses while a file is still being written; never picked up.
_PARTIAL_SUFFIXES = (".part", ".tmp", ".filepart", ".partial")
_MAX_FILE_BYTES = 20 * 1024 * 1024


class FolderRoot(BaseSettings):
    """WARPWARE_CHANNEL_FOLDER_ROOT: the only part of this machine's disk folder channels may use.

    Connection settings come from API users; without this fence one could point inbox_dir at any
    folder the service can read, and have its files read and moved.
    """

    model_config = SettingsConfigDict(env_prefix="WARPWARE_", extra="ignore")

    channel_folder_root: Path = Path("var") / "channel-files"


def inside_folder_root(path: str) -> Path:
    """`path` resolved (symlinks too); ValueError when it is outside WARPWARE_CHANNEL_FOLDER_ROOT."""
    root = FolderRoot().channel_folder_root.resolve()
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(root):
        raise ValueError(
            f"folder {path} is outside the channel folder root {root} (WARPWARE_CHANNEL_FOLDER_ROOT)"
        )
    return resolved


class TransportSettings(BaseModel):
    """Folder or SFTP locations; part of the settings of every file channel (edi, csv)."""

    model_config = ConfigDict(extra="forbid")

    # upload: files come only through the upload endpoint, and what we send back is kept for download.
    transport: Literal["upload", "folder", "sftp"] = "upload"
    inbox_dir: str | None = Field(default=None, min_length=1)
    outbox_dir: str | None = Field(default=None, min_length=1)
    # Default to processed/ and error/ inside the inbox.
    processed_dir: str | None = None
    error_dir: str | None = None
    sftp_host: str | None = None
    sftp_port: int = Field(default=22, ge=1, le=65535)
    sftp_username: str | None = None
    # The server's public key ("ssh-ed25519 AAAA..."); without it the host key is not checked.
    sftp_host_key: str | None = None
    poll_seconds: int = Field(default=300, ge=1, le=86_400)
    # A file younger than this may still be being written by the sender; it waits for the next poll.
    min_file_age_seconds: float = Field(default=5.0, ge=0, le=3600)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _sftp_needs_host(self) -> Self:
        if self.transport != "upload" and not (self.inbox_dir and self.outbox_dir):
            raise ValueError(f"{self.transport} transport needs inbox_dir and outbox_dir")
        if self.transport == "folder":
            for folder in (self.inbox_dir, self.outbox_dir, self.processed_dir, self.error_dir):
                if folder is not None:
                    inside_folder_root(folder)
        if self.transport == "sftp" and not (self.sftp_host and self.sftp_username):
            raise ValueError("sftp transport needs sftp_host and sftp_username")
        if self.sftp_host_key is not None:
            try:
                asyncssh.import_public_key(self.sftp_host_key)
            except (asyncssh.KeyImportError, ValueError) as exc:
                raise ValueError(f"sftp_host_key is not an SSH public key: {exc}") from None
        return self

    def folder(self, role: Role) -> str:
        if self.inbox_dir is None or self.outbox_dir is None:
            raise PermanentConnectorError(
                "this connection takes uploads only; it has no folders", category="validation"
            )
        if role == "inbox":
            return self.inbox_dir
        if role == "outbox":
            return self.outbox_dir
        explicit = self.processed_dir if role == "processed" else self.error_dir
        return explicit or posixpath.join(self.inbox_dir, role)


class SftpCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sftp_password: SecretStr | None = None
    # An OpenSSH or PEM private key, as text.
    sftp_private_key: SecretStr | None = None
    sftp_private_key_passphrase: SecretStr | None = None


class FileBox(Protocol):
    """An open connection to a channel's folders. Use as a context manager."""

    def list(self, role: Role) -> list[str]:
        """Regular files ready to read, oldest first; partial, hidden and too-young files are left out."""
        ...

    def read(self, role: Role, name: str) -> bytes: ...

    def write(self, role: Role, name: str, data: bytes) -> str:
        """Write atomically; an existing file of that name is replaced. Returns the name written."""
        ...

    def move(self, name: str, source: Role, target: Role) -> str:
        """Move a file between roles, never overwriting: a taken name gets a numbered suffix."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def open_box(settings: TransportSettings, credentials: SftpCredentials) -> FileBox:
    if settings.transport == "upload":
        raise PermanentConnectorError(
            "this connection takes uploads only; it has no folders", category="validation"
        )
    if settings.transport == "folder":
        return FolderBox(settings)
    return SftpBox(settings, credentials)


def safe_name(name: str) -> str:
    """A file name we can join to a folder: no separators, no parent references, no NUL."""
    cleaned = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    if cleaned in ("", ".", ".."):
        raise ValueError(f"file name {name!r} is not usable")
    return cleaned[:200]


def _ready(name: str) -> bool:
    return not name.startswith(".") and not name.lower().endswith(_PARTIAL_SUFFIXES)


def _numbered(name: str, n: int) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{n}.{ext}" if dot and stem else f"{name}.{n}"


class FolderBox:
    """Folders on this machine (or a mounted share)."""

    def __init__(self, settings: TransportSettings) -> None:
        self.settings = settings

    def __enter__(self) -> Self:
        inbox = self._dir("inbox")
        if not inbox.is_dir():
            raise PermanentConnectorError(f"inbox folder {inbox} does not exist", category="validation")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def _dir(self, role: Role) -> Path:
        try:
            path = inside_folder_root(self.settings.folder(role))
        except ValueError as exc:
            raise PermanentConnectorError(str(exc), category="validation") from None
        if role != "inbox":
            path.mkdir(parents=True, exist_ok=True)
        return path

    def list(self, role: Role) -> list[str]:
        now = time.time()
        found: list[tuple[float, str]] = []
        for entry in self._dir(role).iterdir():
            if not entry.is_file() or not _ready(entry.name):
                continue
            mtime = entry.stat().st_mtime
            if now - mtime >= self.settings.min_file_age_seconds:
                found.append((mtime, entry.name))
        return [name for _, name in sorted(found)]

    def read(self, role: Role, name: str) -> bytes:
        path = self._dir(role) / safe_name(name)
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise PermanentConnectorError(
                f"{name} is larger than {_MAX_FILE_BYTES} bytes", category="validation"
            )
        return path.read_bytes()

    def write(self, role: Role, name: str, data: bytes) -> str:
        folder = self._dir(role)
        final = safe_name(name)
        temporary = folder / f".{final}.part"
        temporary.write_bytes(data)
        temporary.replace(folder / final)
        return final

    def move(self, name: str, source: Role, target: Role) -> str:
        origin = self._dir(source) / safe_name(name)
        folder = self._dir(target)
        final, n = safe_name(name), 1
        while (folder / final).exists():
            final, n = _numbered(safe_name(name), n), n + 1
        origin.rename(folder / final)
        return final


class SftpBox:
    """Folders on a partner's (or our) SFTP server, through asyncssh on a private event loop."""

    def __init__(self, settings: TransportSettings, credentials: SftpCredentials) -> None:
        self.settings = settings
        self.credentials = credentials
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None

    def _run(self, coro: Coroutine[Any, Any, _T], what: str) -> _T:
        assert self._loop is not None, "use SftpBox as a context manager"
        try:
            return self._loop.run_until_complete(asyncio.wait_for(coro, self.settings.timeout_seconds))
        except asyncssh.PermissionDenied as exc:
            raise PermanentConnectorError(f"SFTP login refused: {exc.reason}", category="auth") from None
        except asyncssh.HostKeyNotVerifiable as exc:
            raise PermanentConnectorError(
                f"SFTP host key of {self.settings.sftp_host} does not match sftp_host_key: {exc.reason}",
                category="auth",
            ) from None
        except asyncssh.SFTPNoSuchFile as exc:
            raise PermanentConnectorError(f"SFTP {what}: {exc.reason}", category="validation") from None
        except asyncssh.SFTPPermissionDenied as exc:
            raise PermanentConnectorError(f"SFTP {what}: {exc.reason}", category="auth") from None
        except TimeoutError:
            raise RetryableConnectorError(f"SFTP {what} timed out", category="network_timeout") from None
        except (OSError, asyncssh.Error) as exc:
            raise RetryableConnectorError(f"SFTP {what} failed: {exc}", category="network_timeout") from None

    def __enter__(self) -> Self:
        self._loop = asyncio.new_event_loop()
        try:
            self._run(self._open(), f"connect to {self.settings.sftp_host}:{self.settings.sftp_port}")
        except BaseException:
            self._loop.close()
            self._loop = None
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is None:
            return
        try:
            if self._conn is not None:
                self._conn.close()
                self._loop.run_until_complete(self._conn.wait_closed())
        finally:
            self._loop.close()
            self._loop = None

    async def _open(self) -> None:
        settings, credentials = self.settings, self.credentials
        known_hosts: Any = None
        if settings.sftp_host_key:
            known_hosts = ([asyncssh.import_public_key(settings.sftp_host_key)], [], [])
        client_keys: Any = None
        if credentials.sftp_private_key is not None:
            passphrase = credentials.sftp_private_key_passphrase
            client_keys = [
                asyncssh.import_private_key(
                    credentials.sftp_private_key.get_secret_value(),
                    passphrase.get_secret_value() if passphrase else None,
                )
            ]
        password = credentials.sftp_password.get_secret_value() if credentials.sftp_password else None
        self._conn = await asyncssh.connect(
            settings.sftp_host,
            port=settings.sftp_port,
            username=settings.sftp_username,
            password=password,
            client_keys=client_keys,
            known_hosts=known_hosts,
            agent_path=None,
            config=None,
            connect_timeout=settings.timeout_seconds,
        )
        self._sftp = await self._conn.start_sftp_client()

    @property
    def sftp(self) -> asyncssh.SFTPClient:
        assert self._sftp is not None, "use SftpBox as a context manager"
        return self._sftp

    def _path(self, role: Role, name: str | None = None) -> str:
        folder = self.settings.folder(role)
        return posixpath.join(folder, safe_name(name)) if name is not None else folder

    def list(self, role: Role) -> list[str]:
        async def listing() -> list[str]:
            now = time.time()
            found: list[tuple[float, str]] = []
            for entry in await self.sftp.readdir(self._path(role)):
                name = entry.filename if isinstance(entry.filename, str) else entry.filename.decode()
                if entry.attrs.type != asyncssh.FILEXFER_TYPE_REGULAR or not _ready(name):
                    continue
                mtime = float(entry.attrs.mtime or 0)
                if now - mtime >= self.settings.min_file_age_seconds:
                    found.append((mtime, name))
            return [name for _, name in sorted(found)]

        return self._run(listing(), f"list {self._path(role)}")

    def read(self, role: Role, name: str) -> bytes:
        async def reading() -> bytes:
            async with self.sftp.open(self._path(role, name), "rb") as handle:
                data = await handle.read(_MAX_FILE_BYTES + 1)
            if len(data) > _MAX_FILE_BYTES:
                raise PermanentConnectorError(
                    f"{name} is larger than {_MAX_FILE_BYTES} bytes", category="validation"
                )
            return data if isinstance(data, bytes) else data.encode()

        return self._run(reading(), f"read {self._path(role, name)}")

    def _ensure_dir(self, role: Role) -> Coroutine[Any, Any, None]:
        async def ensure() -> None:
            folder = self._path(role)
            if not await self.sftp.isdir(folder):
                await self.sftp.makedirs(folder, exist_ok=True)

        return ensure()

    def write(self, role: Role, name: str, data: bytes) -> str:
        final = safe_name(name)

        async def writing() -> None:
            await self._ensure_dir(role)
            temporary = self._path(role, f".{final}.part")
            async with self.sftp.open(temporary, "wb") as handle:
                await handle.write(data)
            target = self._path(role, final)
            if await self.sftp.exists(target):
                await self.sftp.remove(target)
            await self.sftp.rename(temporary, target)

        self._run(writing(), f"write {self._path(role, final)}")
        return final

    def move(self, name: str, source: Role, target: Role) -> str:
        async def moving() -> str:
            await self._ensure_dir(target)
            final, n = safe_name(name), 1
            while await self.sftp.exists(self._path(target, final)):
                final, n = _numbered(safe_name(name), n), n + 1
            await self.sftp.rename(self._path(source, name), self._path(target, final))
            return final

        return self._run(moving(), f"move {name} to {self.settings.folder(target)}")
