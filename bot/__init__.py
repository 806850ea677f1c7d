"""Resident-facing front ends (Telegram, terminal) over one conversation core."""
