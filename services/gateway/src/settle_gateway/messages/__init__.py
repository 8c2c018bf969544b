"""Messages: the inbox, read marks and messages written to debtors."""
