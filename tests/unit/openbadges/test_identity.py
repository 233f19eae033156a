"""Recipient identity hashing and e-mail normalisation (OB 2.0 section 1.5)."""

import pytest

from issuer.openbadges.identity import (
    InvalidEmailError,
    hash_identity,
    new_salt,
    normalize_email,
)


def test_hash_matches_the_spec_test_values() -> None:
    assert hash_identity("mayze", "") == (
        "sha256$7a1a1b3f7d40552e4299180e346e3add12bf9a751a43d9c4ca4518febc2c60c6"
    )
    assert hash_identity("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (" Ada@Example.ORG ", "ada@example.org"),
        ("a.b+tag@sub.example.org", "a.b+tag@sub.example.org"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, normal: str) -> None:
    assert normalize_email(raw) == normal


@pytest.mark.parametrize("raw", ["", "ada", "ada@", "@example.org", "a b@example.org", "a@b"])
def test_invalid_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidEmailError, match="not a valid e-mail address"):
        normalize_email(raw)


def test_salts_are_random_and_long() -> None:
    salts = {new_salt() for _ in range(100)}
    assert len(salts) == 100
    assert all(len(s) == 32 for s in salts)
