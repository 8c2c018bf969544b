"""The gateway's rules in plain Python: who may do what, and how debtors are found."""
