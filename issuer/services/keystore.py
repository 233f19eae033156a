"""Where signing keys live: a folder of private key files, or memory for tests."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from issuer.openbadges.keys import (
    generate_private_key_pem,
    key_id,
    load_private_key,
    public_key_pem,
)


@dataclass(frozen=True)
class SigningKey:
    """A signing key pair as the rest of the application sees it."""

    kid: str
    private_pem: bytes = field(repr=False)
    public_pem: str
    created_at: datetime

    @cached_property
    def private_key(self) -> RSAPrivateKey:
        """The loaded private key (parsed once)."""
        return load_private_key(self.private_pem)


class KeyStore(Protocol):
    """Holds the issuer's signing keys, oldest first; the newest one signs."""

    def list_keys(self) -> list[SigningKey]:
        """Return every key, oldest first."""
        ...

    def add_key(self, private_pem: bytes) -> SigningKey:
        """Store a new private key; it becomes the current signing key."""
        ...


def current_key(store: KeyStore) -> SigningKey:
    """Return the key that signs from now on (the newest); raise KeyStoreError when none."""
    keys = store.list_keys()
    if not keys:
        raise KeyStoreError("there is no signing key yet; run 'flask --app wsgi init'")
    return keys[-1]


def ensure_signing_key(store: KeyStore) -> SigningKey | None:
    """Create a signing key when the store has none; return the new key, else None."""
    if store.list_keys():
        return None
    return store.add_key(generate_private_key_pem())


class KeyStoreError(RuntimeError):
    """The key store cannot give what is asked (no key yet ...)."""


def _make_key(private_pem: bytes, created_at: datetime | None = None) -> SigningKey:
    public = public_key_pem(private_pem)
    return SigningKey(
        kid=key_id(public),
        private_pem=private_pem,
        public_pem=public,
        created_at=created_at or datetime.now(UTC),
    )


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
    """Private keys as ``<sequence>-<kid>.pem`` files (mode 0600) in a folder (mode 0700).

    The keys are read once and again only when the folder changes, so a ``keys rotate`` run
    from the command line reaches running workers without a restart.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._keys: list[SigningKey] = []

    def list_keys(self) -> list[SigningKey]:
        """Return every key, oldest first."""
        try:
            stamp = self.directory.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        with self._lock:
            if stamp != self._stamp:
                self._keys = [
                    _make_key(path.read_bytes(), _mtime(path))
                    for path in sorted(self.directory.glob("*.pem"))
                ]
                self._stamp = stamp
            return list(self._keys)

    def add_key(self, private_pem: bytes) -> SigningKey:
        """Write a new private key file readable by its owner only."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        key = _make_key(private_pem)
        existing = [path.name.split("-", 1)[0] for path in self.directory.glob("*.pem")]
        sequence = max((int(s) for s in existing if s.isdigit()), default=0) + 1
        path = self.directory / f"{sequence:04d}-{key.kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
        return key


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)
