"""Command-line tools for commune staff and administrators (python -m admin ...)."""
