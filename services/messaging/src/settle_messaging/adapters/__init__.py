"""Adapters at the edge of the messaging service: database, SMTP out and in."""
