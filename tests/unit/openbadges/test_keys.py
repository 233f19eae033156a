"""Signing keys and the key stores."""

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from issuer.openbadges.keys import generate_private_key_pem, key_id, public_key_pem
from issuer.services.keystore import FileKeyStore, MemoryKeyStore, ensure_signing_key


@pytest.fixture(scope="module")
def private_pem() -> bytes:
    return generate_private_key_pem()


def test_generated_key_is_rsa_of_at_least_2048_bits(private_pem: bytes) -> None:
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size >= 2048


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="2048"):
        generate_private_key_pem(1024)


def test_public_pem_and_stable_key_id(private_pem: bytes) -> None:
    public = public_key_pem(private_pem)
    assert public.startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in public
    assert key_id(public) == key_id(public_key_pem(private_pem))
    assert len(key_id(public)) == 16


def test_file_store_keeps_private_keys_private(tmp_path: Path, private_pem: bytes) -> None:
    store = FileKeyStore(tmp_path / "keys")
    assert store.list_keys() == []
    first = ensure_signing_key(store)
    assert first is not None
    assert ensure_signing_key(store) is None
    files = list((tmp_path / "keys").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    second = store.add_key(private_pem)
    assert [k.kid for k in store.list_keys()] == [first.kid, second.kid]


def test_memory_store(private_pem: bytes) -> None:
    store = MemoryKeyStore()
    key = store.add_key(private_pem)
    assert store.list_keys() == [key]
    assert ensure_signing_key(store) is None
