"""What the gateway's concept packages run with (the context they share)."""
