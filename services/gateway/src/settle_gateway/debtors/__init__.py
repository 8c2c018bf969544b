"""Debtors: the list and search, a debtor's detail."""
