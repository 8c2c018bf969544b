"""The dashboard: totals per phase, attention counts and aging."""
