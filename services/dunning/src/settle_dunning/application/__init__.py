"""Use cases of the dunning service: they load what the domain needs, call its rules, and
store the result with the events that describe it in one transaction."""
