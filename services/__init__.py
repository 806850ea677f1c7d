"""Service layer: business operations on the ticket database, each taking an explicit session."""
