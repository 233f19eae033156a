"""Sample payloads and vendored fixtures shared by the PNG and SVG baking tests."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.support import VENDOR

BAKERY_FIXTURES = VENDOR / "ob2" / "fixtures-bakery"
OB3_FIXTURES = VENDOR / "ob3" / "fixtures-1edtech-validator"
# An OB 3.0 credential with an embedded proof (the proof value is not a real signature).
CREDENTIAL_JSON = json.dumps(
    {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "https://issuer.example.org/public/credentials/9",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://issuer.example.org/issuer", "type": ["Profile"]},
        "validFrom": "2024-05-01T12:00:00Z",
        "name": "Zoë's badge ✓",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {"name": "a]]>b"}},
        "proof": {"type": "DataIntegrityProof", "proofValue": "z3FXQjecWufY46"},
    },
    ensure_ascii=False,
)


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a compact JWS, unverified."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims
