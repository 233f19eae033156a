"""Creating and finding users through the API."""

import pytest

from tests.support import ApiClient


def test_create_and_find_user(api: ApiClient) -> None:
    response = api.post("/users", {"email": "Ada@Example.org", "name": "Ada Lovelace"})
    assert response.status_code == 201
    user = response.json or {}
    assert user["email"] == "ada@example.org"
    assert user["role"] == "learner"
    assert "password" not in str(user)
    found = api.get("/users", query_string={"email": "ADA@example.org"}).json or {}
    assert found["users"] == [user]


def test_create_admin(api: ApiClient) -> None:
    response = api.post("/users", {"email": "boss@example.org", "name": "Boss", "role": "admin"})
    assert (response.json or {})["role"] == "admin"


def test_duplicate_email_is_409(api: ApiClient) -> None:
    api.post("/users", {"email": "ada@example.org", "name": "Ada"})
    response = api.post("/users", {"email": "ADA@example.org", "name": "Ada again"})
    assert response.status_code == 409
    assert "already exists" in (response.json or {})["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nope", "name": "x"}, "email"),
        ({"email": "a@example.org"}, "name"),
        ({"email": "a@example.org", "name": "x", "role": "root"}, "role"),
    ],
)
def test_bad_user_is_400(api: ApiClient, body: dict[str, str], field: str) -> None:
    response = api.post("/users", body)
    assert response.status_code == 400
    assert (response.json or {})["field"] == field


def test_unknown_email_finds_nobody(api: ApiClient) -> None:
    assert api.get("/users?email=ghost@example.org").json == {"users": []}
    assert api.get("/users?email=not-an-email").status_code == 400


def test_list_users_in_pages(api: ApiClient) -> None:
    for i in range(3):
        api.post("/users", {"email": f"u{i}@example.org", "name": f"U{i}"})
    page = api.get("/users?per_page=2").json or {}
    assert page["total"] == 4  # the admin of the api fixture, too
    assert len(page["users"]) == 2
