"""Organisations: the customers of Settle, created and listed by platform administrators."""
