"""The OpenAPI 3.1 description of the admin API, assembled from the schemas in ``schemas/api``."""

from __future__ import annotations

import copy
from typing import Any

from issuer.openbadges.schemas import SchemaRegistry

_BODIES = {
    "issuer-create": "IssuerCreate",
    "badge-create": "BadgeCreate",
    "badge-update": "BadgeUpdate",
    "award-create": "AwardCreate",
    "user-create": "UserCreate",
    "revoke": "Revoke",
    "verify": "Verify",
    "course-create": "CourseCreate",
    "course-update": "CourseUpdate",
    "completion-create": "CompletionCreate",
}
_ERRORS = {
    "400": "The body or a parameter is invalid; `field` names the culprit.",
    "401": "No valid API token.",
    "403": "The token belongs to a learner, not an admin.",
    "404": "No object with this id.",
    "409": "Conflicts with existing data.",
    "413": "The body is too large.",
    "415": "The body is not JSON.",
}


def build_openapi(registry: SchemaRegistry, *, server: str) -> dict[str, Any]:
    """Build the OpenAPI document; request and response schemas come from ``schemas/api``."""
    components: dict[str, Any] = {}
    for name, def_name in _BODIES.items():
        components[def_name] = _rewrite(_strip(registry.schema(f"api/{name}")))
    for source in ("api/common", "api/objects"):
        for def_name, schema in registry.schema(source)["$defs"].items():
            components[def_name] = _rewrite(schema)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Open Badges issuer admin API",
            "version": "1",
            "description": (
                "Create issuers and badges, award them, revoke awards. Every call needs an "
                "admin's API token (`flask --app wsgi tokens create EMAIL`). Errors always have "
                'the shape `{"error", "message"}`, plus `field` when one field is at fault.'
            ),
        },
        "servers": [{"url": server.removesuffix("/openapi.json")}],
        "security": [{"bearer": []}],
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": _paths(),
    }


def _paths() -> dict[str, Any]:
    return {
        "/openapi.json": {
            "get": {
                "operationId": "getOpenapi",
                "summary": "This description (no token needed)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/issuers": {
            "post": _op(
                "createIssuer",
                "Create an issuer",
                body="IssuerCreate",
                ok=("201", "Issuer"),
                errors=("415",),
            ),
            "get": _op("listIssuers", "List issuers", ok=("200", "IssuerList")),
        },
        "/issuers/{issuer_id}": {
            "parameters": [_path_param("issuer_id")],
            "get": _op("getIssuer", "Show an issuer", ok=("200", "Issuer"), errors=("404",)),
        },
        "/badges": {
            "post": _op(
                "createBadge",
                "Create a badge",
                body="BadgeCreate",
                ok=("201", "Badge"),
                errors=("415",),
            ),
            "get": _op(
                "listBadges",
                "List every badge, private ones included, oldest first",
                ok=("200", "BadgeList"),
                errors=("400",),
                params=[
                    _query_param("page", "Page number, from 1"),
                    _query_param("per_page", "Badges per page, 1 to 500 (default 100)"),
                ],
            ),
        },
        "/badges/{badge_id}": {
            "parameters": [_path_param("badge_id")],
            "get": _op("getBadge", "Show a badge", ok=("200", "Badge"), errors=("404",)),
            "patch": _op(
                "updateBadge",
                "Change a badge",
                body="BadgeUpdate",
                ok=("200", "Badge"),
                errors=("404", "415"),
            ),
        },
        "/badges/{badge_id}/awards": {
            "parameters": [_path_param("badge_id")],
            "post": {
                **_op(
                    "awardBadge",
                    "Award a badge to 1 to 10,000 recipients (all or nothing). A recipient who "
                    "already holds the badge gets the existing award back unless "
                    "allow_duplicate is true. 201 when any award was created, 200 when all "
                    "existed. Send JSON (AwardCreate), or a CSV file (Content-Type: text/csv) "
                    "with a header row naming the columns email (required), name, narrative, "
                    "evidence_url, issued_on and expires; UTF-8 (BOM or not), comma or "
                    "semicolon separated. A CSV with any bad row awards nobody and answers 400 "
                    "with the rows (CsvRowsError); ?dry_run=1 reports per row without awarding.",
                    body="AwardCreate",
                    ok=("201", "AwardAnswer"),
                    extra_ok=("200", "AwardAnswerOrDryRun"),
                    errors=("404", "415"),
                    params=[
                        _flag_param("dry_run", "CSV only: check the file and report per row"),
                        _flag_param("notify", "CSV only: notify the recipients (default 1)"),
                        _flag_param(
                            "post_to_feed",
                            "CSV only: post the new awards to the feed, if their badge and the "
                            "site's setting allow it (default 1)",
                        ),
                    ],
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _ref("AwardCreate")},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
            },
            "get": _op(
                "listAwards",
                "List a badge's awards, newest first",
                ok=("200", "AwardPage"),
                errors=("400", "404"),
                params=[
                    _query_param("page", "Page number, from 1"),
                    _query_param("per_page", "Awards per page, 1 to 500 (default 50)"),
                ],
            ),
        },
        "/assertions/{assertion_id}": {
            "parameters": [_path_param("assertion_id")],
            "get": _op("getAssertion", "Show an award", ok=("200", "Award"), errors=("404",)),
        },
        "/assertions/{assertion_id}/revoke": {
            "parameters": [_path_param("assertion_id")],
            "post": _op(
                "revokeAssertion",
                "Revoke an award; its hosted document answers 410 from then on. Revoking "
                "again keeps the first reason.",
                body="Revoke",
                ok=("200", "Award"),
                errors=("404", "415"),
            ),
        },
        "/courses": {
            "post": _op(
                "createCourse",
                "Create a course of ordered stages; each stage, and finishing the course, may "
                "award a public badge",
                body="CourseCreate",
                ok=("201", "Course"),
                errors=("415",),
            ),
            "get": _op("listCourses", "List every course", ok=("200", "CourseList")),
        },
        "/courses/{course_id}": {
            "parameters": [_path_param("course_id")],
            "get": _op("getCourse", "Show a course", ok=("200", "Course"), errors=("404",)),
            "patch": _op(
                "updateCourse",
                "Change a course. stages replaces the list: existing stages are kept by id; "
                "removing a stage that has completions answers 409.",
                body="CourseUpdate",
                ok=("200", "Course"),
                errors=("404", "409", "415"),
            ),
        },
        "/courses/{course_id}/stages/{stage_id}/completions": {
            "parameters": [_path_param("course_id"), _path_param("stage_id")],
            "post": _op(
                "completeStage",
                "Report that a learner (user) or several (users) completed a stage. The "
                "stage's badge is awarded in the same request, and the course badge when "
                "this was the last stage. Reporting again awards nothing (200, status "
                "already_completed), even from concurrent requests. With user the answer "
                "is a Completion, with users a CompletionBatch.",
                body="CompletionCreate",
                ok=("201", "CompletionAnswer"),
                extra_ok=("200", "CompletionAnswer"),
                errors=("404", "415"),
            ),
        },
        "/verify": {
            "post": {
                **_op(
                    "verify",
                    "Check a badge of this server by hosted URL, by JWS, or from the baked "
                    "image (multipart field 'image'). No token needed. Malformed input "
                    "(garbage JWS, not an image, nothing baked in) answers 400.",
                    body="Verify",
                    ok=("200", "VerificationResult"),
                    authenticated=False,
                ),
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _ref("Verify")},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["image"],
                                "properties": {
                                    "image": {"type": "string", "contentMediaType": "image/png"}
                                },
                            }
                        },
                    },
                },
            }
        },
        "/users": {
            "post": _op(
                "createUser",
                "Create a user",
                body="UserCreate",
                ok=("201", "User"),
                errors=("409", "415"),
            ),
            "get": _op(
                "listUsers",
                "Find a user by e-mail, or list users a page at a time",
                ok=("200", "UserList"),
                errors=("400",),
                params=[
                    {
                        "name": "email",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Exact e-mail address",
                    },
                    _query_param("page", "Page number, from 1"),
                    _query_param("per_page", "Users per page, 1 to 500 (default 50)"),
                ],
            ),
        },
    }


def _op(
    operation_id: str,
    summary: str,
    *,
    ok: tuple[str, str],
    body: str | None = None,
    extra_ok: tuple[str, str] | None = None,
    errors: tuple[str, ...] = (),
    params: list[dict[str, Any]] | None = None,
    authenticated: bool = True,
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, schema in (ok, extra_ok) if extra_ok else (ok,):
        responses[status] = {
            "description": "Success",
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    # Any body can be malformed or too large: those answers go without saying.
    body_errors = ("400", "413") if body else ()
    for status in dict.fromkeys((("401", "403") if authenticated else ()) + errors + body_errors):
        responses[status] = {
            "description": _ERRORS[status],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "responses": responses,
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if params:
        operation["parameters"] = params
    return operation


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _path_param(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }


def _query_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1},
        "description": description,
    }


def _flag_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["1", "0", "true", "false"]},
        "description": description,
    }


def _strip(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id")}


def _rewrite(node: Any) -> Any:
    """Point the schema files' cross-references at components/schemas."""
    node = copy.deepcopy(node)
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                result[key] = "#/components/schemas/" + value.rsplit("/", 1)[-1]
            else:
                result[key] = _rewrite(value)
        return result
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node
