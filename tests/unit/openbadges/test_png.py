"""Unit tests for issuer.openbadges.png used directly (its checks are tested via test_images)."""

from __future__ import annotations

import ast
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from issuer.openbadges import png
from issuer.openbadges.png import PNG_SIGNATURE, PngError, check_png


def make_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 120, 200, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def test_valid_png_returns_its_size() -> None:
    data = make_png(30, 20)
    assert data.startswith(PNG_SIGNATURE)
    assert check_png(data, 30 * 20, recommended_size=150) == (30, 20)


def test_too_large_message_names_the_recommended_size_passed_in() -> None:
    with pytest.raises(PngError) as excinfo:
        check_png(make_png(30, 20), 30 * 20 - 1, recommended_size=64)
    assert str(excinfo.value) == (
        "The image is too large to open safely: 30x20 pixels (600 pixels) is more than the limit "
        "of 599 pixels. Badge images are small: 64x64 pixels is the recommended size."
    )


def test_metadata_bomb_message_names_the_budget() -> None:
    data = make_png(20, 20)
    bomb = chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(1024 * 1024 + 1)))
    with pytest.raises(PngError) as excinfo:
        check_png(data[:33] + bomb + data[33:], 4096, recommended_size=150)
    assert "unpack to more than 1 MiB" in str(excinfo.value)


def test_corrupt_png_is_a_png_error_and_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^The PNG file is damaged or incomplete") as excinfo:
        check_png(PNG_SIGNATURE + b"\x00" * 40, 4096, recommended_size=150)
    assert isinstance(excinfo.value, PngError)


def test_png_module_imports_nothing_from_the_issuer_package() -> None:
    """images.py imports png.py, so png.py must not import images.py (or anything that might)."""
    tree = ast.parse(Path(png.__file__).read_text(encoding="utf-8"))
    nodes = list(ast.walk(tree))
    imported = {
        alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {node.module or "" for node in nodes if isinstance(node, ast.ImportFrom)}
    assert imported
    assert not {name for name in imported if name.split(".")[0] == "issuer"}
