"""Checking and storing uploaded images."""

from __future__ import annotations

import hashlib

from issuer.extensions import db
from issuer.models import Image
from issuer.openbadges.images import ImageError, check_data_uri
from issuer.services.errors import InvalidInputError


def store_image(data_uri: str, *, max_bytes: int, field: str = "image") -> tuple[Image, list[str]]:
    """Check an image given as a data URI, store it, and return it with any warnings."""
    try:
        checked = check_data_uri(data_uri, max_bytes=max_bytes)
    except ImageError as error:
        raise InvalidInputError(f"{field}: {error}", field) from None
    image = Image(
        media_type=checked.media_type,
        data=checked.data,
        sha256=hashlib.sha256(checked.data).hexdigest(),
    )
    db.session.add(image)
    return image, [f"{field}: {warning}" for warning in checked.warnings]
