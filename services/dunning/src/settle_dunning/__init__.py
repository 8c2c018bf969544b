"""Settle dunning service: who is reminded of what, when and how."""
