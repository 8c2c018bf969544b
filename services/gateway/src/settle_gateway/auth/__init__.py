"""Sign-in, tokens and who may do what in an administration."""
