"""Lại Khê commune assistant: application code shared by bot, actions and services."""
