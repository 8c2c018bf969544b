"""Use cases of the payments service; they talk to ports, never to adapters."""
