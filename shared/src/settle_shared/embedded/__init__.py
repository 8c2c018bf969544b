"""The embedded stack: everything `make run` starts on one machine with nothing installed."""
