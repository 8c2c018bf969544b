"""Settle's shared plumbing: every service imports from here; no domain logic lives here."""
