"""The staff back office: server-rendered pages over the same services as the bot."""
