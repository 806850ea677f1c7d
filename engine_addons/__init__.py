"""Custom Rasa graph components; imported only by the Rasa engine environment."""
