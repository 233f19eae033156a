"""Where signing keys live: a folder of private key files, or memory for tests.

Two kinds share the store: RSA keys sign OB 2.0 JWS and VC-JWT credentials, Ed25519 keys
(``ProofKey``) sign Data Integrity proofs. Of each kind the newest key signs; older ones stay
published so that what they signed keeps verifying.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from issuer.openbadges.keys import (
    generate_ed25519_private_key_pem,
    generate_private_key_pem,
    key_id,
    key_kind,
    load_ed25519_private_key,
    load_private_key,
    public_key_multibase,
    public_key_pem,
)


@dataclass(frozen=True)
class SigningKey:
    """An RSA signing key pair as the rest of the application sees it."""

    kid: str
    private_pem: bytes = field(repr=False)
    public_pem: str
    created_at: datetime

    @cached_property
    def private_key(self) -> RSAPrivateKey:
        """The loaded private key (parsed once)."""
        return load_private_key(self.private_pem)


@dataclass(frozen=True)
class ProofKey:
    """An Ed25519 key pair for Data Integrity proofs; ``multibase`` is its public Multikey."""

    kid: str
    private_pem: bytes = field(repr=False)
    multibase: str
    created_at: datetime

    @cached_property
    def private_key(self) -> Ed25519PrivateKey:
        """The loaded private key (parsed once)."""
        return load_ed25519_private_key(self.private_pem)


StoredKey = SigningKey | ProofKey


class KeyStore(Protocol):
    """Holds the issuer's keys of both kinds, oldest first; the newest of a kind signs."""

    def list_keys(self) -> list[SigningKey]:
        """Return every RSA key, oldest first."""
        ...

    def list_proof_keys(self) -> list[ProofKey]:
        """Return every Ed25519 key, oldest first."""
        ...

    def add_key(self, private_pem: bytes) -> StoredKey:
        """Store a new private key; it becomes the current key of its kind."""
        ...


def current_key(store: KeyStore) -> SigningKey:
    """Return the RSA key that signs from now on; raise KeyStoreError when none."""
    keys = store.list_keys()
    if not keys:
        raise KeyStoreError("there is no signing key yet; run 'flask --app wsgi init'")
    return keys[-1]


def current_proof_key(store: KeyStore) -> ProofKey:
    """Return the Ed25519 key that signs proofs from now on; raise KeyStoreError when none."""
    keys = store.list_proof_keys()
    if not keys:
        raise KeyStoreError(
            "there is no Ed25519 key for Data Integrity proofs yet; run 'flask --app wsgi init'"
        )
    return keys[-1]


def ensure_signing_keys(store: KeyStore) -> list[StoredKey]:
    """Create the keys of each kind the store lacks; return the new ones."""
    created: list[StoredKey] = []
    if not store.list_keys():
        created.append(store.add_key(generate_private_key_pem()))
    if not store.list_proof_keys():
        created.append(store.add_key(generate_ed25519_private_key_pem()))
    return created


def rotate_keys(store: KeyStore) -> list[StoredKey]:
    """Add a new key of each kind; they sign from now on."""
    return [
        store.add_key(generate_private_key_pem()),
        store.add_key(generate_ed25519_private_key_pem()),
    ]


class KeyStoreError(RuntimeError):
    """The key store cannot give what is asked (no key yet ...)."""


def _make_key(private_pem: bytes, created_at: datetime | None = None) -> StoredKey:
    created = created_at or datetime.now(UTC)
    public = public_key_pem(private_pem)
    if key_kind(private_pem) == "ed25519":
        private = load_ed25519_private_key(private_pem)
        return ProofKey(
            kid=key_id(public),
            private_pem=private_pem,
            multibase=public_key_multibase(private.public_key()),
            created_at=created,
        )
    return SigningKey(
        kid=key_id(public), private_pem=private_pem, public_pem=public, created_at=created
    )


class _KeyList:
    """Keys of both kinds in creation order, listed by kind."""

    def __init__(self) -> None:
        self.keys: list[StoredKey] = []

    def list_keys(self) -> list[SigningKey]:
        """Return every RSA key, oldest first."""
        return [key for key in self._current() if isinstance(key, SigningKey)]

    def list_proof_keys(self) -> list[ProofKey]:
        """Return every Ed25519 key, oldest first."""
        return [key for key in self._current() if isinstance(key, ProofKey)]

    def _current(self) -> list[StoredKey]:
        return self.keys


class MemoryKeyStore(_KeyList):
    """Keys held in memory only (tests)."""

    def add_key(self, private_pem: bytes) -> StoredKey:
        """Store a new private key; it becomes the current key of its kind."""
        key = _make_key(private_pem)
        self.keys.append(key)
        return key


class FileKeyStore(_KeyList):
    """Private keys as ``<sequence>-<kid>.pem`` files (mode 0600) in a folder (mode 0700).

    The keys are read once and again only when the folder changes, so a ``keys rotate`` run
    from the command line reaches running workers without a restart.
    """

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp: int | None = None

    def _current(self) -> list[StoredKey]:
        try:
            stamp = self.directory.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        with self._lock:
            if stamp != self._stamp:
                self.keys = [
                    _make_key(path.read_bytes(), _mtime(path))
                    for path in sorted(self.directory.glob("*.pem"))
                ]
                self._stamp = stamp
            return list(self.keys)

    def add_key(self, private_pem: bytes) -> StoredKey:
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
