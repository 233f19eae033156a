"""The OpenAPI description matches the API: same routes, and real responses fit its schemas."""

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.support import ApiClient

OPENAPI_URI = "urn:issuer:openapi"


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    """The served OpenAPI document."""
    return dict(client.get("/api/v1/openapi.json").json or {})


def conforms(spec: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """Fail unless body fits the documented schema of this response."""
    operation = spec["paths"][path][method]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    registry: Registry[Any] = Registry().with_resource(
        OPENAPI_URI, DRAFT202012.create_resource(spec)
    )
    ref = OPENAPI_URI + schema["$ref"]
    Draft202012Validator({"$ref": ref}, registry=registry).validate(body)


def test_every_route_is_documented_and_nothing_else(app: Flask, spec: dict[str, Any]) -> None:
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                served.add((path, method.lower()))
    documented = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert served == documented
    assert spec["openapi"] == "3.1.0"
    assert spec["servers"] == [{"url": "/api/v1"}]


def test_request_schemas_are_the_validation_schemas(spec: dict[str, Any]) -> None:
    body = spec["components"]["schemas"]["AwardCreate"]
    assert body["properties"]["recipients"]["maxItems"] == 10_000
    assert body["properties"]["recipients"]["items"] == {"$ref": "#/components/schemas/email"}
    Draft202012Validator.check_schema(body)


def test_responses_match_the_description(
    api: ApiClient, spec: dict[str, Any], make_badge: Any, png_uri: str
) -> None:
    issuer = api.post("/issuers", {"name": "I", "url": "https://i.example", "email": "i@i.example"})
    conforms(spec, "/issuers", "post", 201, issuer.json)
    conforms(spec, "/issuers", "get", 200, api.get("/issuers").json)
    issuer_id = (issuer.json or {})["id"]
    conforms(spec, "/issuers/{issuer_id}", "get", 200, api.get(f"/issuers/{issuer_id}").json)
    badge = api.post(
        "/badges",
        {
            "issuer": issuer_id,
            "name": "B",
            "description": "D",
            "image": png_uri,
            "criteria": {"url": "https://i.example/c"},
        },
    )
    conforms(spec, "/badges", "post", 201, badge.json)
    badge_id = (badge.json or {})["id"]
    conforms(spec, "/badges", "get", 200, api.get("/badges").json)
    conforms(spec, "/badges/{badge_id}", "get", 200, api.get(f"/badges/{badge_id}").json)
    patched = api.patch(f"/badges/{badge_id}", {"tags": ["x"]})
    conforms(spec, "/badges/{badge_id}", "patch", 200, patched.json)
    awarded = api.post(
        f"/badges/{badge_id}/awards",
        {"recipients": ["a@example.org"], "evidence": [{"url": "https://e.example"}]},
    )
    conforms(spec, "/badges/{badge_id}/awards", "post", 201, awarded.json)
    again = api.post(f"/badges/{badge_id}/awards", {"recipients": ["a@example.org"]})
    conforms(spec, "/badges/{badge_id}/awards", "post", 200, again.json)
    csv_headers = {**api.headers, "Content-Type": "text/csv"}
    awards_path = f"/api/v1/badges/{badge_id}/awards"
    dry = api.client.post(
        f"{awards_path}?dry_run=1", data=b"email\nz@example.org\n", headers=csv_headers
    )
    conforms(spec, "/badges/{badge_id}/awards", "post", 200, dry.json)
    by_csv = api.client.post(awards_path, data=b"email\nz@example.org\n", headers=csv_headers)
    conforms(spec, "/badges/{badge_id}/awards", "post", 201, by_csv.json)
    bad_csv = api.client.post(awards_path, data=b"email\nzz\n", headers=csv_headers)
    conforms(spec, "/badges/{badge_id}/awards", "post", 400, bad_csv.json)
    listing = api.get(f"/badges/{badge_id}/awards")
    conforms(spec, "/badges/{badge_id}/awards", "get", 200, listing.json)
    assertion_id = (awarded.json or {})["awards"][0]["id"]
    conforms(
        spec, "/assertions/{assertion_id}", "get", 200, api.get(f"/assertions/{assertion_id}").json
    )
    revoked = api.post(f"/assertions/{assertion_id}/revoke", {"reason": "r"})
    conforms(spec, "/assertions/{assertion_id}/revoke", "post", 200, revoked.json)
    course = api.post(
        "/courses",
        {"name": "C", "stages": [{"name": "S", "badge": badge_id}], "completion_badge": badge_id},
    )
    conforms(spec, "/courses", "post", 201, course.json)
    course_id = (course.json or {})["id"]
    conforms(spec, "/courses", "get", 200, api.get("/courses").json)
    conforms(spec, "/courses/{course_id}", "get", 200, api.get(f"/courses/{course_id}").json)
    renamed = api.patch(f"/courses/{course_id}", {"name": "C2"})
    conforms(spec, "/courses/{course_id}", "patch", 200, renamed.json)
    completions = (
        f"/courses/{course_id}/stages/{(course.json or {})['stages'][0]['id']}/completions"
    )
    path = "/courses/{course_id}/stages/{stage_id}/completions"
    conforms(spec, path, "post", 201, api.post(completions, {"user": "c@example.org"}).json)
    batch = api.post(completions, {"users": ["c@example.org", "d@example.org"]})
    conforms(spec, path, "post", 201, batch.json)
    conforms(spec, path, "post", 200, api.post(completions, {"user": "d@example.org"}).json)
    user = api.post("/users", {"email": "u@example.org", "name": "U"})
    conforms(spec, "/users", "post", 201, user.json)
    conforms(spec, "/users", "get", 200, api.get("/users").json)
    conforms(spec, "/users", "get", 200, api.get("/users?email=u@example.org").json)
    for status, response in [
        (400, api.post("/users", {"email": "x"})),
        (404, api.get(f"/badges/{issuer_id}")),
        (409, api.post("/users", {"email": "u@example.org", "name": "U"})),
    ]:
        assert response.status_code == status
        operation_path = "/users" if status != 404 else "/badges/{badge_id}"
        method = "post" if status != 404 else "get"
        conforms(spec, operation_path, method, status, response.json)
