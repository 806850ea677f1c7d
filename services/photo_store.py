"""Residents' photos kept on our disk (Zalo and the website chat window).

Telegram photos are kept as file ids (the bot sends them on by id). Zalo gives a URL
that expires and the website gives bytes, so those photos are stored here instead:
checked (JPEG or PNG by their first bytes, a size limit, a pixel limit against
decompression bombs), re-encoded with Pillow so that no EXIF block (GPS position,
camera, time) survives, and saved under a random name that says nothing about the
sender. A ticket's attachment names the file by its key (TicketAttachment.storage_key);
erasure and retention delete the file with the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

import httpx
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TicketAttachment
from laikhe.payloads import payload
from laikhe.settings import Settings
from laikhe.validators import is_telegram_file_id

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024
# About 40 megapixels: more than any phone camera, far less than a decompression bomb.
MAX_PIXELS: Final = 40_000_000

# How a stored photo is named where the engine passes photo references (the
# feedback_photos slot, the inform payload): beside Telegram file ids, which never
# contain a colon.
REF_PREFIX: Final = "stored:"
_KEY: Final = re.compile(r"[0-9a-f]{32}\.(?:jpg|png)")

# PNG modes kept as they are; any other (palette, 16-bit) becomes RGBA.
_PNG_MODES: Final = {"RGB": "RGB", "RGBA": "RGBA", "L": "L", "LA": "LA"}
_SIGNATURES: Final = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"))

NOT_DOWNLOADED: Final = (
    "Chưa tải được ảnh này. Anh/Chị gửi lại ảnh sau ít phút, hoặc mô tả bằng chữ giúp."
)
DOWNLOAD_TIMEOUT_SECONDS: Final = 15.0
# A photo waits in the form (the feedback_photos slot) until the summary is confirmed;
# one no ticket has taken after a week is from a form left unsent and is deleted.
UNATTACHED_PHOTO_DAYS: Final = 7
NOT_AN_IMAGE: Final = "Tệp này không phải ảnh JPEG hoặc PNG. Anh/Chị gửi lại một ảnh chụp giúp."
TOO_LARGE: Final = "Ảnh quá lớn (tối đa 10 MB). Anh/Chị gửi ảnh nhỏ hơn giúp."


class PhotoRejected(Exception):
    """Not taken; `reply` is the Vietnamese reason for the resident."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class StoredPhoto:
    key: str
    content_type: str

    @property
    def ref(self) -> str:
        return REF_PREFIX + self.key


def is_storage_key(value: object) -> bool:
    return isinstance(value, str) and _KEY.fullmatch(value) is not None


def key_of_ref(value: object) -> str | None:
    """The storage key a photo reference names, or None when it is not one."""
    if isinstance(value, str) and value.startswith(REF_PREFIX):
        key = value[len(REF_PREFIX) :]
        return key if is_storage_key(key) else None
    return None


def is_photo_reference(value: object) -> bool:
    """A photo as the engine passes it: a Telegram file id or a stored photo's ref."""
    return is_telegram_file_id(value) or key_of_ref(value) is not None


def stored_photo_payload(photo: StoredPhoto) -> str:
    """The engine payload that hands a stored photo to the current form step (as
    bot.conversation.photo_payload does for a Telegram file id)."""
    return payload("inform", photo=photo.ref)


def content_type_of(key: str) -> str:
    return "image/png" if key.endswith(".png") else "image/jpeg"


def reencode(data: bytes) -> tuple[bytes, str]:
    """The photo re-encoded without metadata, and its format ("JPEG" or "PNG").

    Raises PhotoRejected for anything that is not a sound JPEG/PNG within the limits."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected(TOO_LARGE)
    declared = next((fmt for sig, fmt in _SIGNATURES if data.startswith(sig)), None)
    if declared is None:
        raise PhotoRejected(NOT_AN_IMAGE)
    try:
        with warnings.catch_warnings():
            # Pillow warns above MAX_IMAGE_PIXELS and raises above twice it; a warning
            # is made an error so the limit is ours exactly.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[declared]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoRejected(TOO_LARGE)
                image.load()
                # A phone photo's orientation tag goes with the EXIF block: the pixels
                # are turned upright first.
                upright = ImageOps.exif_transpose(image)
                keep = "RGB" if declared == "JPEG" else _PNG_MODES.get(upright.mode, "RGBA")
                if upright.mode != keep:
                    upright = upright.convert(keep)
                # Only the pixels are copied into a new image: EXIF, XMP, ICC and PNG
                # text chunks stay behind.
                clean = Image.frombytes(keep, upright.size, upright.tobytes())
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(TOO_LARGE) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRejected(NOT_AN_IMAGE) from None
    out = io.BytesIO()
    if declared == "JPEG":
        clean.save(out, format="JPEG", quality=85, optimize=True)
    else:
        clean.save(out, format="PNG", optimize=True)
    return out.getvalue(), declared


async def sweep_unattached(*, session: AsyncSession, store: PhotoStore, now: datetime) -> int:
    """Delete the photos no ticket took within UNATTACHED_PHOTO_DAYS (a form left
    unsent, a conversation erased before its summary). Reads the database only."""
    old = await asyncio.to_thread(
        store.keys_older_than, now - timedelta(days=UNATTACHED_PHOTO_DAYS)
    )
    if not old:
        return 0
    taken = set(
        (
            await session.scalars(
                select(TicketAttachment.storage_key).where(TicketAttachment.storage_key.in_(old))
            )
        ).all()
    )
    unattached = [key for key in old if key not in taken]
    for key in unattached:
        if key.endswith(".part"):
            with contextlib.suppress(FileNotFoundError):
                (store.root / key).unlink()
        else:
            store.delete(key)
    return len(unattached)


def configured() -> PhotoStore:
    """The store at PHOTO_DIR (read when called, so a test's setting counts)."""
    return PhotoStore(Settings().photo_dir)


class PhotoStore:
    """Photo files under one directory, named by random keys."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes) -> StoredPhoto:
        """Check, re-encode and keep a photo; PhotoRejected when it is not taken."""
        clean, fmt = reencode(data)
        key = secrets.token_hex(16) + (".jpg" if fmt == "JPEG" else ".png")
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / key
        # Written beside its final name and renamed: a reader never sees half a file.
        partial = path.with_suffix(".part")
        partial.write_bytes(clean)
        os.replace(partial, path)
        return StoredPhoto(key, content_type_of(key))

    def read(self, key: str) -> bytes | None:
        if not is_storage_key(key):
            return None
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        """Removes the file; a key already gone (or not a key) is no error."""
        if not is_storage_key(key):
            return
        with contextlib.suppress(FileNotFoundError):
            (self.root / key).unlink()

    def delete_all(self, keys: list[str]) -> None:
        for key in keys:
            self.delete(key)

    def keys_older_than(self, before: datetime) -> list[str]:
        """Keys of the photos written before `before` (and .part files left by a crash)."""
        if not self.root.is_dir():
            return []
        limit = before.timestamp()
        return [
            path.name
            for path in self.root.iterdir()
            if (is_storage_key(path.name) or path.suffix == ".part")
            and path.stat().st_mtime < limit
        ]

    async def save_from_url(self, client: httpx.AsyncClient, url: str) -> StoredPhoto:
        """Download a photo a channel names by URL (Zalo's expire) and keep it; reads
        at most MAX_PHOTO_BYTES, whatever the server claims. PhotoRejected when not
        taken."""
        if not url.startswith(("https://", "http://")):
            raise PhotoRejected(NOT_DOWNLOADED)
        try:
            async with client.stream(
                "GET", url, timeout=DOWNLOAD_TIMEOUT_SECONDS, follow_redirects=True
            ) as response:
                if response.status_code != 200:
                    logger.warning("a photo download answered %s", response.status_code)
                    raise PhotoRejected(NOT_DOWNLOADED)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_PHOTO_BYTES:
                    raise PhotoRejected(TOO_LARGE)
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data.extend(chunk)
                    if len(data) > MAX_PHOTO_BYTES:
                        raise PhotoRejected(TOO_LARGE)
        except httpx.HTTPError as error:
            # The URL is not logged: it may carry a token.
            logger.warning("a photo download failed: %s", type(error).__name__)
            raise PhotoRejected(NOT_DOWNLOADED) from None
        # Re-encoding is CPU work: off the event loop, which serves other chats.
        return await asyncio.to_thread(self.save, bytes(data))
