"""Reading uploaded files from requests, with size limits applied before anything else."""

from __future__ import annotations

from flask import current_app, request

from issuer.services.errors import InvalidInputError


def uploaded_image(field: str = "image") -> bytes | None:
    """The bytes of the request's image upload, if any (at most twice the image size limit)."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    # Baking adds the assertion to the image, so a baked badge may exceed the upload limit.
    limit = 2 * int(current_app.config["MAX_IMAGE_BYTES"])
    data: bytes = upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidInputError(f"{field}: the file is larger than {limit:,} bytes", field)
    return data
