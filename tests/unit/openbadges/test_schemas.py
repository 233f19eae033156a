"""Request validation against the JSON Schemas in schemas/, with messages naming the field."""

import json
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


def test_references_are_followed_across_files_and_next_to_other_keywords(tmp_path: Any) -> None:
    """Schemas are validated with their $refs inlined; the result must not change."""
    dialect = "https://json-schema.org/draft/2020-12/schema"
    common = {
        "$schema": dialect,
        "$id": "https://schemas.invalid/common.json",
        "$defs": {
            "code": {"$ref": "#/$defs/text", "pattern": "^[A-Z]+$"},
            "text": {"type": "string", "maxLength": 4},
        },
    }
    body = {
        "$schema": dialect,
        "$id": "https://schemas.invalid/body.json",
        "type": "object",
        "properties": {
            "codes": {
                "type": "array",
                "items": {"$ref": "common.json#/$defs/code", "description": "a code"},
            }
        },
    }
    (tmp_path / "common.json").write_text(json.dumps(common))
    (tmp_path / "body.json").write_text(json.dumps(body))
    registry = SchemaRegistry(tmp_path)
    registry.validate("body", {"codes": ["AB", "XYZ"]})
    for bad, phrase in [("TOOLONG", "is too long"), ("ab", "does not match"), (7, "string")]:
        with pytest.raises(SchemaValidationError) as caught:
            registry.validate("body", {"codes": ["OK", bad]})
        assert caught.value.field == "codes[1]"
        assert phrase in str(caught.value)
    # The schema as served keeps its references.
    assert registry.schema("body")["properties"]["codes"]["items"]["$ref"] == (
        "common.json#/$defs/code"
    )
