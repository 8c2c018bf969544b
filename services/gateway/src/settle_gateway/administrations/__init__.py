"""Administrations: created and renamed here, and announced to every other service."""
