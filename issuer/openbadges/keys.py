"""Signing keys: RSA for OB 2.0 JWS and VC-JWT (section 1.8), Ed25519 for Data Integrity
proofs (section 6.3.4): generation, PEM handling and the Multikey encoding of public keys."""

from __future__ import annotations

import hashlib
from typing import Literal

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

KEY_BITS = 2048
KeyKind = Literal["rsa", "ed25519"]
# Multicodec prefix of an Ed25519 public key (0xed, as an unsigned varint).
_ED25519_PUBLIC = b"\xed\x01"


def generate_private_key_pem(bits: int = KEY_BITS) -> bytes:
    """Generate a new RSA private key and return it as unencrypted PKCS#8 PEM."""
    if bits < KEY_BITS:
        raise ValueError(f"RSA signing keys must have at least {KEY_BITS} bits")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _pkcs8(key)


def generate_ed25519_private_key_pem() -> bytes:
    """Generate a new Ed25519 private key and return it as unencrypted PKCS#8 PEM."""
    return _pkcs8(ed25519.Ed25519PrivateKey.generate())


def _pkcs8(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def key_kind(private_pem: bytes) -> KeyKind:
    """Tell which kind of signing key a PEM holds; ValueError for any other kind."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise ValueError("only RSA and Ed25519 signing keys are supported")


def load_private_key(private_pem: bytes) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA signing keys are supported")
    return key


def load_ed25519_private_key(private_pem: bytes) -> ed25519.Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def public_key_pem(private_pem: bytes) -> str:
    """Return the SubjectPublicKeyInfo PEM of a private key (RSA or Ed25519) given as PEM."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError("only RSA and Ed25519 signing keys are supported")
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def key_id(public_pem: str) -> str:
    """Return a stable key id: the first 16 hex digits of the SHA-256 of the public key PEM."""
    return hashlib.sha256(public_pem.encode("ascii")).hexdigest()[:16]


def public_key_multibase(key: ed25519.Ed25519PublicKey) -> str:
    """Encode an Ed25519 public key as Multikey ``publicKeyMultibase``: ``z6Mk...``."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(_ED25519_PUBLIC + raw).decode("ascii")


def public_key_from_multibase(value: str) -> ed25519.Ed25519PublicKey:
    """Decode a ``z6Mk...`` Multikey value to an Ed25519 public key; ValueError otherwise."""
    if not value.startswith("z"):
        raise ValueError("a publicKeyMultibase value starts with 'z' (base58btc)")
    try:
        decoded = base58.b58decode(value[1:])
    except ValueError:
        raise ValueError("the publicKeyMultibase value is not base58btc") from None
    if len(decoded) != 34 or not decoded.startswith(_ED25519_PUBLIC):
        raise ValueError("the publicKeyMultibase value is not an Ed25519 public key")
    return ed25519.Ed25519PublicKey.from_public_bytes(decoded[2:])
