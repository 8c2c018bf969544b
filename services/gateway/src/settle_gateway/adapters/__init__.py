"""The gateway's edges: its tables, the other services' APIs, paging and the event consumer."""
