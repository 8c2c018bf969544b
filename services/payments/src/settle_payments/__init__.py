"""Settle payments: online payments of open invoices."""
