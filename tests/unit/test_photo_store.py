from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from services.photo_store import (
    MAX_PHOTO_BYTES,
    NOT_AN_IMAGE,
    TOO_LARGE,
    PhotoRejected,
    PhotoStore,
    key_of_ref,
)

GPS_IFD = 0x8825
MAKE = 0x010F


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (11.0, 15.0, 30.0), 3: "E", 4: (106.0, 37.0, 12.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_the_test_photo_carries_gps() -> None:
    with Image.open(io.BytesIO(jpeg_with_gps())) as image:
        assert image.getexif().get_ifd(GPS_IFD)


def test_a_jpeg_is_stored_without_exif_or_gps(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    stored = store.save(jpeg_with_gps())
    assert stored.key.endswith(".jpg") and stored.content_type == "image/jpeg"
    assert key_of_ref(stored.ref) == stored.key
    data = store.read(stored.key)
    assert data is not None
    assert b"Exif" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 48)
        assert not image.getexif()
    # The name says nothing about the sender; only the file is in the directory.
    assert [p.name for p in (tmp_path / "photos").iterdir()] == [stored.key]


def test_a_png_stays_png_without_text_chunks(tmp_path: Path) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "nha so 12 thon Bau Bang")
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    store = PhotoStore(tmp_path)
    stored = store.save(out.getvalue())
    data = store.read(stored.key)
    assert stored.key.endswith(".png") and data is not None
    assert b"Bau Bang" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == "RGBA"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4 not a photo", b"GIF89a" + b"\x00" * 50, b"\xff\xd8\xff" + b"\x00" * 100],
    ids=["pdf", "gif", "broken-jpeg"],
)
def test_what_is_not_a_jpeg_or_png_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(PhotoRejected) as refused:
        PhotoStore(tmp_path).save(data)
    assert refused.value.reply == NOT_AN_IMAGE
    assert list(tmp_path.iterdir()) == []


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    data = jpeg_with_gps() + b"\x00" * MAX_PHOTO_BYTES
    with pytest.raises(PhotoRejected) as refused:
        PhotoStore(tmp_path).save(data)
    assert refused.value.reply == TOO_LARGE


def test_a_decompression_bomb_is_refused(tmp_path: Path) -> None:
    # A small file declaring 10000 x 10000 pixels: refused from its header alone.
    out = io.BytesIO()
    Image.new("L", (10_000, 10_000)).save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < MAX_PHOTO_BYTES
    with pytest.raises(PhotoRejected) as refused:
        PhotoStore(tmp_path).save(out.getvalue())
    assert refused.value.reply == TOO_LARGE


def test_keys_that_are_not_ours_open_nothing(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("x")
    store = PhotoStore(tmp_path / "photos")
    assert store.read("../secret.txt") is None
    store.delete("../secret.txt")
    assert (tmp_path / "secret.txt").exists()
    assert key_of_ref("stored:../secret.txt") is None
    assert key_of_ref("AgACAgIAAxkBAAIB") is None
