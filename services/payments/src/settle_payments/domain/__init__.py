"""The rules of online payments: what can be paid and for how much, the states of a payment
and which report of the PSP may follow which. Plain Python, no I/O."""
