"""The rules of collection cases: when a case opens, its steps, what may be charged and when,
how its balances follow from what happened (the law itself is in settle_law). Plain Python,
no I/O."""
