"""Dutch collection law as Settle applies it, in one place every service uses.

- `wik`: extrajudicial collection costs on the WIK scale (and contractual costs for
  businesses), VAT on top when the creditor cannot deduct it, bundles on their summed
  principal;
- `letters`: the consumer's 14-day letter and the day its term has passed (art. 6:96 lid 6 BW);
- `interest`: statutory interest (art. 6:119 and 6:119a BW) over a dated rate table;
- `allocation`: a payment to costs, then interest, then principal (art. 6:44 BW).

Plain Python without I/O, like every service's domain/: a service's domain may import it.
"""
