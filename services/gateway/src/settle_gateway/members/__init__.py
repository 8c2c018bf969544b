"""The users of an administration and their roles."""
