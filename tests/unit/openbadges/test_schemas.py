"""Request validation against the JSON Schemas in schemas/, with messages naming the field."""

from typing import Any

import pytest

from issuer.config import SCHEMAS_DIR
from issuer.openbadges.schemas import SchemaRegistry, SchemaValidationError

REGISTRY = SchemaRegistry(SCHEMAS_DIR)


@pytest.mark.parametrize(
    ("instance", "field", "phrase"),
    [
        ({}, "recipients", "is required"),
        ({"recipients": ["a@example.org"], "extra": 1}, "extra", "not a known field"),
        ({"recipients": "a@example.org"}, "recipients", "must be of type array, not string"),
        ({"recipients": [None]}, "recipients[0]", "not null"),
        ({"recipients": ["x"]}, "recipients[0]", "not a valid e-mail address"),
        ({"recipients": ["a@example.org"] * 10_001}, "recipients", "at most 10000"),
        ({"recipients": []}, "recipients", "at least 1"),
        ({"recipients": ["a@example.org"], "issued_on": "2025-01-01"}, "issued_on", "timezone"),
        ({"recipients": ["a@example.org"], "issued_on": "soon"}, "issued_on", "Invalid"),
        (
            {"recipients": ["a@example.org"], "evidence": [{"url": "mailto:x"}]},
            "evidence[0].url",
            "http(s) URL",
        ),
    ],
)
def test_errors_name_the_field(instance: Any, field: str, phrase: str) -> None:
    with pytest.raises(SchemaValidationError) as caught:
        REGISTRY.validate("api/award-create", instance)
    assert caught.value.field == field
    assert phrase in str(caught.value)


def test_valid_body_passes() -> None:
    REGISTRY.validate(
        "api/award-create",
        {
            "recipients": ["a@example.org"],
            "issued_on": "2025-01-01T00:00:00+01:00",
            "evidence": [{"url": "https://example.org/x"}],
            "notify": False,
        },
    )


def test_every_schema_file_is_loaded_and_valid() -> None:
    from jsonschema import Draft202012Validator

    names = set(REGISTRY.names())
    assert {"api/award-create", "api/badge-create", "api/common", "api/objects"} <= names
    for name in names:
        Draft202012Validator.check_schema(REGISTRY.schema(name))
