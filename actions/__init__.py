"""Custom actions for the Rasa engine (rasa-sdk). Thin: they call services/ and reply."""
