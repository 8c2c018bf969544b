"""Settle messaging: what the debtor actually sees, by email and by letter."""
