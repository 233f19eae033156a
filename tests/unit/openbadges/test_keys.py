"""Signing keys and the key stores."""

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from issuer.openbadges.keys import (
    generate_ed25519_private_key_pem,
    generate_private_key_pem,
    key_id,
    key_kind,
    public_key_from_multibase,
    public_key_multibase,
    public_key_pem,
)
from issuer.services.keystore import (
    FileKeyStore,
    MemoryKeyStore,
    ProofKey,
    SigningKey,
    current_proof_key,
    ensure_signing_keys,
    rotate_keys,
)


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
    rsa_key, proof_key = ensure_signing_keys(store)
    assert isinstance(rsa_key, SigningKey)
    assert isinstance(proof_key, ProofKey)
    assert ensure_signing_keys(store) == []
    files = list((tmp_path / "keys").iterdir())
    assert len(files) == 2
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    second = store.add_key(private_pem)
    assert [k.kid for k in store.list_keys()] == [rsa_key.kid, second.kid]
    assert [k.kid for k in store.list_proof_keys()] == [proof_key.kid]
    # A second store on the same folder (another worker) reads the same keys.
    again = FileKeyStore(tmp_path / "keys")
    assert [k.kid for k in again.list_keys()] == [rsa_key.kid, second.kid]
    assert [k.multibase for k in again.list_proof_keys()] == [proof_key.multibase]


def test_rotation_adds_a_key_of_each_kind() -> None:
    store = MemoryKeyStore()
    first_rsa, first_proof = ensure_signing_keys(store)
    new_rsa, new_proof = rotate_keys(store)
    assert store.list_keys() == [first_rsa, new_rsa]
    assert store.list_proof_keys() == [first_proof, new_proof]
    assert current_proof_key(store) == new_proof


def test_memory_store(private_pem: bytes) -> None:
    store = MemoryKeyStore()
    key = store.add_key(private_pem)
    assert store.list_keys() == [key]
    assert store.list_proof_keys() == []
    assert ensure_signing_keys(store) != []
    assert len(store.list_keys()) == 1


def test_ed25519_keys_and_their_multikey_encoding() -> None:
    pem = generate_ed25519_private_key_pem()
    assert key_kind(pem) == "ed25519"
    key = MemoryKeyStore().add_key(pem)
    assert isinstance(key, ProofKey)
    assert key.multibase.startswith("z6Mk")
    public = key.private_key.public_key()
    assert public_key_multibase(public_key_from_multibase(key.multibase)) == key.multibase
    assert public_key_multibase(public) == key.multibase


def test_multikey_decoding_refuses_other_values() -> None:
    for value in ("", "6Mk", "z0OIl", "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"):
        with pytest.raises(ValueError):
            public_key_from_multibase(value)


def test_w3c_vector_key_encodes_as_published() -> None:
    # W3C vc-di-eddsa test vector keyPair.json: this public key, in Multikey form.
    published = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    assert public_key_multibase(public_key_from_multibase(published)) == published
