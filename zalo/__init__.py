"""The Zalo front end (`python -m zalo`): the same conversation core as Telegram over the
Zalo Bot Platform, with buttons as numbered choices and its own outbox dispatcher."""
