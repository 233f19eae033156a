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
        raise InvalidInputError(
            f"This file is too large: it is over {_mebibytes(limit)}, more than any badge "
            f"image can be. Choose a badge image, a PNG or SVG file.",
            field,
        )
    return data


def _mebibytes(size: int) -> str:
    """A size for people: "4 MiB", or "1.5 MiB", or KiB below one MiB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MiB"
    return f"{size / 1024:.1f}".removesuffix(".0") + " KiB"
