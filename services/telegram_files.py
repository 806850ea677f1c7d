"""Reading a resident's photo or file back from Telegram by its file id.

Only file ids are stored (db.models.TicketAttachment). The Bot API gives a file's bytes
in two requests: getFile names its path, then the path is downloaded from the file
server; both URLs carry the bot token, so they stay on the server and the back office
serves the bytes on its own authorized route. The base URLs are the bot's
(TELEGRAM_API_BASE_URL, TELEGRAM_FILE_BASE_URL): tests point them at the fake server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import httpx
from pydantic import SecretStr

from laikhe.settings import Settings

logger = logging.getLogger(__name__)

# The Bot API hands bots files of up to 20 MB; anything claiming more is not read.
MAX_FILE_BYTES: Final = 20 * 1024 * 1024
TIMEOUT_SECONDS: Final = 15.0

# The image types a browser may show inline, by their first bytes: what Telegram's
# photos are (JPEG) and what residents send as files. Anything else is a download.
_IMAGE_SIGNATURES: Final = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class FileUnavailable(Exception):
    """Telegram did not give the file (gone, too big, unreachable, token refused)."""


@dataclass(frozen=True)
class FetchedFile:
    data: bytes
    # An image type recognised from the bytes, else application/octet-stream.
    content_type: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def image_type(data: bytes) -> str | None:
    """The image's MIME type from its first bytes; None for anything else. Telegram's
    own mime_type is what the sender's app claimed, so it is not trusted."""
    for signature, mime in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class TelegramFiles:
    token: SecretStr
    api_base_url: str
    file_base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramFiles | None:
        """None without a bot token (the terminal set-up): there are no files to read."""
        if settings.telegram_bot_token is None:
            return None
        return cls(
            settings.telegram_bot_token,
            settings.telegram_api_base_url,
            settings.telegram_file_base_url,
        )

    async def fetch(self, file_id: str) -> FetchedFile:
        token = self.token.get_secret_value()
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                found = await client.post(
                    f"{self.api_base_url}{token}/getFile", data={"file_id": file_id}
                )
                body = found.json()
                if not body.get("ok"):
                    raise FileUnavailable(f"getFile: {body.get('description', found.status_code)}")
                result = body["result"]
                path, size = result.get("file_path"), result.get("file_size") or 0
                if not isinstance(path, str) or size > MAX_FILE_BYTES:
                    raise FileUnavailable("getFile: no path, or larger than the Bot API allows")
                async with client.stream("GET", f"{self.file_base_url}{token}/{path}") as response:
                    if response.status_code != httpx.codes.OK:
                        raise FileUnavailable(f"download: HTTP {response.status_code}")
                    data = bytearray()
                    async for chunk in response.aiter_bytes():
                        data.extend(chunk)
                        if len(data) > MAX_FILE_BYTES:
                            raise FileUnavailable("download: larger than the Bot API allows")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            # The message of an httpx error names the URL, which holds the token.
            raise FileUnavailable(f"{type(error).__name__}") from None
        raw = bytes(data)
        return FetchedFile(raw, image_type(raw) or "application/octet-stream")
