"""Invoices: the list, an invoice's detail, and the rows the other concepts' totals come from."""
