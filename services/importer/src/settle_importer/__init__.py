"""Settle importer: brings invoices, credit notes and debtors in from bookkeeping."""
