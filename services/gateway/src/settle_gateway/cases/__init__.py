"""Collection cases: the list with filters and the counts per step from the read model, the
detail (balances as of a date, interest, allocations, timeline) and every command from the
collection service that owns them."""
