"""Use cases of the messaging service: queueing, sending, replies and bounces."""
