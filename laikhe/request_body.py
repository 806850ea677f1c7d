"""A request body read up to a limit, for every HTTP entry point that takes one from the
outside (the web chat window, the Zalo webhook)."""

from __future__ import annotations

from starlette.requests import Request


async def body_within(request: Request, limit: int) -> bytes | None:
    """The body, or None when it passes `limit` bytes: refused at once when its declared
    Content-Length does, else as soon as the bytes read do (a chunked body names no
    length), never read further."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)
