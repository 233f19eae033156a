"""JSON Schema validation of request bodies and documents against the files in ``schemas/``."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource

from issuer.openbadges.identity import InvalidEmailError, normalize_email
from issuer.openbadges.timestamps import parse_timestamp

if TYPE_CHECKING:
    from referencing._core import Resolver  # the type of Registry.resolver()


class SchemaValidationError(ValueError):
    """A value does not match its schema; ``field`` names the offending field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _check_email(value: object) -> bool:
    if isinstance(value, str):
        normalize_email(value)
    return True


def _check_datetime(value: object) -> bool:
    if isinstance(value, str):
        parse_timestamp(value)
    return True


def _check_uri(value: object) -> bool:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            raise ValueError("an absolute http(s) URL is required")
    return True


FORMAT_CHECKER = FormatChecker(formats=())
FORMAT_CHECKER.checks("email", raises=InvalidEmailError)(_check_email)
FORMAT_CHECKER.checks("date-time", raises=ValueError)(_check_datetime)
FORMAT_CHECKER.checks("uri", raises=ValueError)(_check_uri)


class SchemaRegistry:
    """Loads every ``*.json`` schema under a folder and validates instances by schema name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._schemas: dict[str, dict[str, Any]] = {}
        resources = []
        for path in sorted(root.rglob("*.json")):
            schema = json.loads(path.read_text(encoding="utf-8"))
            name = path.relative_to(root).with_suffix("").as_posix()
            self._schemas[name] = schema
            if "$id" in schema:
                resources.append((schema["$id"], Resource.from_contents(schema)))
        registry: Registry[Any] = Registry().with_resources(resources)
        # Validated with their references inlined: looking a $ref up costs more than checking
        # the value, which adds up over the 10,000 items of a bulk award.
        self._validators = {
            name: Draft202012Validator(
                _inline_refs(schema, registry.resolver(schema.get("$id", ""))),
                registry=registry,
                format_checker=FORMAT_CHECKER,
            )
            for name, schema in self._schemas.items()
        }

    def schema(self, name: str) -> dict[str, Any]:
        """Return the schema called name (its path under the root, without ``.json``)."""
        return self._schemas[name]

    def names(self) -> Iterable[str]:
        """Return the names of every loaded schema."""
        return self._schemas.keys()

    def validate(self, name: str, instance: object) -> None:
        """Raise SchemaValidationError naming the bad field when instance breaks schema name."""
        error = best_match(self._validators[name].iter_errors(instance))
        if error is not None:
            raise _describe(error)


class DocumentSchemaError(ValueError):
    """A document we built breaks a schema it must follow: a bug, so it is never served."""


@functools.lru_cache(maxsize=8)
def load_validator(path: Path) -> Validator:
    """Load a standalone JSON Schema file, with the draft its ``$schema`` names.

    Checking a large schema against its draft's metaschema takes half a second, and every app
    the process creates (each test, each worker's app) asks for the same file: once per path.
    Validators keep no state between calls, so apps and threads share one."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def check_document(validator: Validator, document: Any, schema_name: str) -> None:
    """Raise DocumentSchemaError, naming the schema and the place, when document breaks it."""
    error = best_match(validator.iter_errors(document))
    if error is not None:
        where = _format_path(error.absolute_path) or "the document"
        message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
        raise DocumentSchemaError(f"{schema_name}: {where}: {message}")


_ANNOTATIONS = frozenset({"description", "title", "default", "examples", "$comment"})


def _inline_refs(node: Any, resolver: Resolver[Any], depth: int = 0) -> Any:
    """Return a copy of a schema with every ``$ref`` replaced by the schema it names."""
    if depth > 32:
        raise ValueError("schema references nest too deeply (a reference cycle?)")
    if isinstance(node, list):
        return [_inline_refs(item, resolver, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        resolved = resolver.lookup(node["$ref"])
        target = _inline_refs(resolved.contents, resolved.resolver, depth + 1)
        rest = {key: value for key, value in node.items() if key != "$ref"}
        if set(rest) <= _ANNOTATIONS:
            return {**target, **rest} if isinstance(target, dict) else target
        return {"allOf": [target], **_inline_refs(rest, resolver, depth)}
    return {key: _inline_refs(value, resolver, depth) for key, value in node.items()}


def _describe(error: ValidationError) -> SchemaValidationError:
    path = _format_path(error.absolute_path)
    instance: Any = error.instance
    schema: Any = error.schema
    value: Any = error.validator_value
    if error.validator == "required":
        missing = next((p for p in value if p not in instance), value[0])
        field = f"{path}.{missing}" if path else str(missing)
        return SchemaValidationError(f"{field} is required", field)
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(schema.get("properties", {}))
        unknown = sorted(k for k in instance if k not in allowed)
        field = f"{path}.{unknown[0]}" if path else unknown[0]
        return SchemaValidationError(f"{field} is not a known field", field)
    where = path or "body"
    if error.validator == "type":
        expected = value
        expected_text = " or ".join(expected) if isinstance(expected, list) else expected
        got = _json_type(instance)
        return SchemaValidationError(f"{where} must be of type {expected_text}, not {got}", path)
    if error.validator == "format" and error.cause is not None:
        return SchemaValidationError(f"{where}: {error.cause}", path)
    if error.validator == "maxItems":
        return SchemaValidationError(
            f"{where} may hold at most {value} items, got {len(instance)}",
            path,
        )
    if error.validator == "minItems":
        return SchemaValidationError(f"{where} needs at least {value} item(s)", path)
    message = str(schema.get("errorMessage") or error.message)
    return SchemaValidationError(f"{where}: {message}", path)


def _format_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
