"""The public reply page a debtor answers on."""
