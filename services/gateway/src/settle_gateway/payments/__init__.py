"""Online payments: the read model of the payments service's events, and the list of them."""
