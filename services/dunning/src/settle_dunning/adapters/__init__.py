"""Adapters at the edge of the dunning service: the database (codec, repository)."""
