"""The edge of the payments service: its database, the PSP clients and the local PSP."""
