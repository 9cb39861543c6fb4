"""Encryption at rest for connection credentials and webhook secrets (Fernet: AES-128-CBC + HMAC)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from warpware.config import get_settings


class SecretKeyError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    settings = get_settings()
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value().encode()
    else:
        key = _key_from_file(settings.secret_key_file)
    try:
        return Fernet(key)
    except ValueError as exc:
        raise SecretKeyError(
            "WARPWARE_SECRET_KEY must be 32 bytes in urlsafe base64 (Fernet.generate_key())"
        ) from exc


def _key_from_file(path: Path) -> bytes:
    # The embedded setup makes its own key on first use; every process on the machine reads the same file.
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, Fernet.generate_key())
        except FileExistsError:
            pass
        finally:
            os.close(fd)
    return path.read_bytes().strip()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretKeyError("stored secret cannot be decrypted with this WARPWARE_SECRET_KEY") from exc


def reset_key_cache() -> None:
    _fernet.cache_clear()
