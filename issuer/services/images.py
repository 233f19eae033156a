"""Checking and storing uploaded images."""

from __future__ import annotations

import hashlib

from issuer.extensions import db
from issuer.models import Image
from issuer.openbadges.images import ImageError, check_data_uri, check_image
from issuer.services.errors import InvalidInputError


def store_image(
    image: str | bytes, *, max_bytes: int, field: str = "image"
) -> tuple[Image, list[str]]:
    """Check an image (a data URI, or an uploaded file's bytes), store it, return any warnings."""
    try:
        if isinstance(image, str):
            checked = check_data_uri(image, max_bytes=max_bytes)
        else:
            checked = check_image(image, max_bytes=max_bytes)
    except ImageError as error:
        # The message is a sentence for people; the field travels beside it (API: "field").
        raise InvalidInputError(str(error), field) from None
    stored = Image(
        media_type=checked.media_type,
        data=checked.data,
        sha256=hashlib.sha256(checked.data).hexdigest(),
    )
    db.session.add(stored)
    return stored, [f"{field}: {warning}" for warning in checked.warnings]
