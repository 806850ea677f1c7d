"""Photos named by URL (Zalo's) are downloaded with a size limit, over real HTTP from the
fake Zalo server, and stored re-encoded."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from services.photo_store import (
    MAX_PHOTO_BYTES,
    NOT_AN_IMAGE,
    NOT_DOWNLOADED,
    TOO_LARGE,
    PhotoRejected,
    PhotoStore,
)
from testkit.zalo import FakeZaloServer


@pytest.fixture(scope="module")
def zalo() -> Iterator[FakeZaloServer]:
    server = FakeZaloServer().start()
    yield server
    server.stop()


def _jpeg() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (11.0, 15.0, 30.0)}
    Image.new("RGB", (20, 20), (1, 2, 3)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_a_photo_url_is_downloaded_and_stored_without_exif(
    zalo: FakeZaloServer, tmp_path: Path
) -> None:
    store = PhotoStore(tmp_path)
    async with httpx.AsyncClient() as client:
        stored = await store.save_from_url(client, zalo.host_photo(_jpeg()))
    data = store.read(stored.key)
    assert data is not None and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (20, 20)


@pytest.mark.parametrize(
    ("served", "reply"),
    [
        (b"<html>not a photo</html>", NOT_AN_IMAGE),
        (b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES, TOO_LARGE),
    ],
    ids=["not-an-image", "too-large"],
)
async def test_what_is_not_taken_leaves_no_file(
    zalo: FakeZaloServer, tmp_path: Path, served: bytes, reply: str
) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(PhotoRejected) as refused:
            await PhotoStore(tmp_path).save_from_url(client, zalo.host_photo(served))
    assert refused.value.reply == reply
    assert await asyncio.to_thread(os.listdir, tmp_path) == []


async def test_a_url_that_gives_nothing_is_a_clear_reply(
    zalo: FakeZaloServer, tmp_path: Path
) -> None:
    async with httpx.AsyncClient() as client:
        for url in (f"{zalo.base_url}/media/gone.jpg", "file:///etc/passwd"):
            with pytest.raises(PhotoRejected) as refused:
                await PhotoStore(tmp_path).save_from_url(client, url)
            assert refused.value.reply == NOT_DOWNLOADED
