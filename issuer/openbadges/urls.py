"""The public URLs of hosted Open Badges documents, derived from the issuer's base URL."""

from __future__ import annotations

import uuid


class PublicUrls:
    """Builds the stable public URLs that appear as ids in every document."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def issuer(self, issuer_id: uuid.UUID) -> str:
        """URL of an issuer Profile."""
        return f"{self.base_url}/public/issuers/{issuer_id}"

    def issuer_image(self, issuer_id: uuid.UUID) -> str:
        """URL of an issuer's image."""
        return f"{self.base_url}/public/issuers/{issuer_id}/image"

    def badge(self, badge_id: uuid.UUID) -> str:
        """URL of a BadgeClass."""
        return f"{self.base_url}/public/badges/{badge_id}"

    def badge_image(self, badge_id: uuid.UUID) -> str:
        """URL of a BadgeClass image."""
        return f"{self.base_url}/public/badges/{badge_id}/image"

    def assertion(self, assertion_id: uuid.UUID) -> str:
        """URL of a hosted Assertion."""
        return f"{self.base_url}/public/assertions/{assertion_id}"
