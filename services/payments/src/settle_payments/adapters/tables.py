"""The payments service's database: payments with the invoices they cover, and the copy of
what can be paid (from the importer's facts). Amounts are kept in minor units (cents) as
integers, which both SQLite and PostgreSQL store exactly. SQLAlchemy Core on the service's own
metadata, next to the outbox and inbox."""

from __future__ import annotations

import sqlalchemy as sa

from settle_shared.db import new_metadata

metadata = new_metadata()

_ID = 64


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


payable_invoices = sa.Table(
    "payable_invoices",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("invoice_id", sa.String(_ID), primary_key=True),
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("open_minor", sa.BigInteger, nullable=False),
    sa.Column("settled", sa.Boolean, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Index("ix_payable_invoices_debtor", "administration_id", "debtor_id"),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("payment_id", sa.String(36), primary_key=True),
    sa.Column("administration_id", sa.String(_ID), nullable=False),
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("redirect_url", sa.String(2000), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("psp", sa.String(20), nullable=False),
    sa.Column("psp_payment_id", sa.String(_ID), nullable=True),
    sa.Column("psp_status", sa.String(30), nullable=True),
    sa.Column("checkout_url", sa.String(2000), nullable=True),
    sa.Column("method", sa.String(40), nullable=True),
    # What went back, as the PSP reported it: [{"id", "amount", "at"}], amounts as strings.
    sa.Column("refunds", sa.JSON, nullable=False),
    sa.Column("chargebacks", sa.JSON, nullable=False),
    _at("created_at", nullable=False),
    _at("status_changed_at"),
    # When the PSP was last asked; the refresher asks again about old unsettled payments
    # and at once about those whose fetch failed (refresh_due).
    _at("checked_at"),
    sa.Column("refresh_due", sa.Boolean, nullable=False),
    # A payment of a payment plan's instalment: which plan and instalment.
    sa.Column("plan_id", sa.String(_ID), nullable=True),
    sa.Column("instalment", sa.Integer, nullable=True),
    sa.UniqueConstraint("administration_id", "idempotency_key", name="uq_payments_idempotency"),
    sa.UniqueConstraint("psp", "psp_payment_id", name="uq_payments_psp_payment"),
    sa.Index("ix_payments_debtor", "administration_id", "debtor_id", "created_at"),
    sa.Index("ix_payments_refresh", "status", "checked_at"),
)

payment_invoices = sa.Table(
    "payment_invoices",
    metadata,
    sa.Column("payment_id", sa.String(36), primary_key=True),
    sa.Column("invoice_id", sa.String(_ID), primary_key=True),
    sa.Column("administration_id", sa.String(_ID), nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_payment_invoices_invoice", "administration_id", "invoice_id"),
)

# The payment plans dunning publishes (dunning.plans.v1): what an instalment's payment is for
# and how much is left of it. `updated_at` is when the copy last changed: a paid payment newer
# than it has not been counted by dunning yet.
payable_plans = sa.Table(
    "payable_plans",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("plan_id", sa.String(_ID), primary_key=True),
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("invoice_ids", sa.JSON, nullable=False),
    # [{"number", "due_on", "amount", "paid_amount"}], amounts as strings.
    sa.Column("instalments", sa.JSON, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    _at("updated_at", nullable=False),
    # The collection cases it covers: [{"case_id", "invoice_ids", "open_amount"}] (None before
    # plans covered cases).
    sa.Column("cases", sa.JSON, nullable=True),
)
