"""Content fingerprints: tell "nothing changed since the last import" without comparing fields.

An invoice fingerprint has two halves: one over the fields that are fixed after the first import
(amount, dates, debtor, currency) and one over the fields bookkeeping may update (open amount,
payment condition, PDF link). Storing the fingerprint of the record as last read lets the next
import skip an unchanged record with one string comparison, and lets a fixed-field change be
reported once rather than on every import while bookkeeping keeps the new value.

Fingerprints are stable across processes and Python versions (BLAKE2b, not ``hash()``).
"""

from __future__ import annotations

from hashlib import blake2b

from settle_importer.domain.model import ImportedDebtor, ImportedInvoice

_SEPARATOR = "\x1f"  # ASCII unit separator: not found in real invoice data
_NONE = "\x00"
FIXED_HALF = 16  # hex characters of the fixed-field half


def _digest(text: str, size: int) -> str:
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=size).hexdigest()


def invoice_fingerprint(invoice: ImportedInvoice) -> str:
    """Return the fingerprint of a document: fixed-field half followed by updatable-field half."""
    i = invoice
    # One f-string per half: this runs for every record of every import. isoformat() and str()
    # give what formatting a date or a Decimal gives, in half the time.
    fixed = (
        f"{i.kind}\x1f{i.number}\x1f{i.debtor_number}\x1f{i.invoice_date.isoformat()}"
        f"\x1f{i.due_date.isoformat()}\x1f{i.amount!s}\x1f{i.currency}"
    )
    updatable = f"{i.open_amount!s}\x1f{i.payment_condition or _NONE}\x1f{i.pdf_url or _NONE}"
    return _digest(fixed, FIXED_HALF // 2) + _digest(updatable, 8)


def fixed_half(fingerprint: str | None) -> str | None:
    """The part of an invoice fingerprint that covers the fixed fields."""
    return None if fingerprint is None else fingerprint[:FIXED_HALF]


def debtor_fingerprint(debtor: ImportedDebtor) -> str:
    """Return the fingerprint of everything Settle keeps about a debtor."""
    return _digest(
        _SEPARATOR.join(
            (
                debtor.number,
                debtor.name,
                debtor.type,
                "\x1e".join(debtor.emails),
                debtor.phone or _NONE,
                "\x1e".join(debtor.address_lines),
                debtor.postal_code or _NONE,
                debtor.city or _NONE,
                debtor.country or _NONE,
                debtor.language or _NONE,
            )
        ),
        16,
    )
