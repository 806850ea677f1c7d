"""`python -m web`: the back office under uvicorn, on WEB_HOST:WEB_PORT (loopback by
default), with WEB_SECRET_KEY from the environment."""

from __future__ import annotations

import logging

import uvicorn
from pydantic import ValidationError

from laikhe import logsafe
from laikhe.settings import get_settings
from web.app import create_app

MAKE_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logsafe.install()
    try:
        settings = get_settings()
    except ValidationError as error:
        raise SystemExit(f"Configuration error: {error.error_count()} problem(s)") from None
    if settings.web_secret_key is None or len(settings.web_secret_key.get_secret_value()) < 32:
        raise SystemExit(
            "WEB_SECRET_KEY is required: 32 or more random characters; make one with: " + MAKE_KEY
        )
    app = create_app(settings)
    print(f"back office: {settings.web_url} (listening on {settings.web_host}:{settings.web_port})",
          flush=True)  # fmt: skip
    # No access log: a sign-in link's token is in its path.
    uvicorn.run(
        app,
        host=settings.web_host,
        port=settings.web_port,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        # No websockets here; the installed websockets (rasa-sdk's) does not fit uvicorn's.
        ws="none",
    )


if __name__ == "__main__":
    main()
