"""RSA signing keys for signed Open Badges (OB 2.0 section 1.8): generation and PEM handling."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048


def generate_private_key_pem(bits: int = KEY_BITS) -> bytes:
    """Generate a new RSA private key and return it as unencrypted PKCS#8 PEM."""
    if bits < KEY_BITS:
        raise ValueError(f"RSA signing keys must have at least {KEY_BITS} bits")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(private_pem: bytes) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA signing keys are supported")
    return key


def public_key_pem(private_pem: bytes) -> str:
    """Return the SubjectPublicKeyInfo PEM of a private key given as PEM."""
    return (
        load_private_key(private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def key_id(public_pem: str) -> str:
    """Return a stable key id: the first 16 hex digits of the SHA-256 of the public key PEM."""
    return hashlib.sha256(public_pem.encode("ascii")).hexdigest()[:16]
