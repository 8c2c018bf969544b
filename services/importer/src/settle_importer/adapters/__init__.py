"""Edges of the importer: the database and connector configuration."""
