"""Where signing keys live: a folder of private key files, or memory for tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from issuer.openbadges.keys import generate_private_key_pem, key_id, public_key_pem


@dataclass(frozen=True)
class SigningKey:
    """A signing key pair as the rest of the application sees it."""

    kid: str
    private_pem: bytes
    public_pem: str


class KeyStore(Protocol):
    """Holds the issuer's signing keys, oldest first; the newest one signs."""

    def list_keys(self) -> list[SigningKey]:
        """Return every key, oldest first."""
        ...

    def add_key(self, private_pem: bytes) -> SigningKey:
        """Store a new private key; it becomes the current signing key."""
        ...


def ensure_signing_key(store: KeyStore) -> SigningKey | None:
    """Create a signing key when the store has none; return the new key, else None."""
    if store.list_keys():
        return None
    return store.add_key(generate_private_key_pem())


def _make_key(private_pem: bytes) -> SigningKey:
    public = public_key_pem(private_pem)
    return SigningKey(kid=key_id(public), private_pem=private_pem, public_pem=public)


class MemoryKeyStore:
    """Keys held in memory only (tests)."""

    def __init__(self) -> None:
        self._keys: list[SigningKey] = []

    def list_keys(self) -> list[SigningKey]:
        """Return every key, oldest first."""
        return list(self._keys)

    def add_key(self, private_pem: bytes) -> SigningKey:
        """Store a new private key; it becomes the current signing key."""
        key = _make_key(private_pem)
        self._keys.append(key)
        return key


class FileKeyStore:
    """Private keys as ``<sequence>-<kid>.pem`` files (mode 0600) in a folder (mode 0700)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def list_keys(self) -> list[SigningKey]:
        """Return every key, oldest first."""
        if not self.directory.is_dir():
            return []
        return [_make_key(path.read_bytes()) for path in sorted(self.directory.glob("*.pem"))]

    def add_key(self, private_pem: bytes) -> SigningKey:
        """Write a new private key file readable by its owner only."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        key = _make_key(private_pem)
        sequence = len(list(self.directory.glob("*.pem"))) + 1
        path = self.directory / f"{sequence:04d}-{key.kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
        return key
