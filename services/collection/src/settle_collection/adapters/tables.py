"""The collection service's database: cases (their invoices and entries as JSON, read and
written whole), the copies of others' facts it needs (invoices, debtors, credit notes,
messages), each administration's settings, the statutory rate table and the handoffs.
SQLAlchemy Core on the service's own metadata, next to the outbox and inbox."""

from __future__ import annotations

import sqlalchemy as sa

from settle_shared.db import new_metadata

metadata = new_metadata()

_ID = 64
MONEY = sa.Numeric(14, 2)


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


collection_settings = sa.Table(
    "collection_settings",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    # The settings as JSON (domain/parties.py AdministrationSettings); read and written whole.
    sa.Column("settings", sa.JSON, nullable=False),
    _at("updated_at", nullable=False),
)

debtors = sa.Table(
    "debtors",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("debtor_id", sa.String(_ID), primary_key=True),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("emails", sa.JSON, nullable=False),
    sa.Column("phone", sa.String(50), nullable=True),
    sa.Column("address_lines", sa.JSON, nullable=False),
    sa.Column("postal_code", sa.String(20), nullable=True),
    sa.Column("city", sa.String(100), nullable=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("language", sa.String(5), nullable=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("invoice_id", sa.String(_ID), primary_key=True),
    # Empty until the importer's fact arrives (dunning's ready fact may come first).
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("invoice_date", sa.Date, nullable=True),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("open_amount", MONEY, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("pdf_url", sa.String(2000), nullable=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("settled", sa.Boolean, nullable=False),
    sa.Column("ready_on", sa.Date, nullable=True),
    sa.Column("legal_letter_sent_on", sa.Date, nullable=True),
    # The active (proposed or open) case holding it.
    sa.Column("case_id", sa.String(36), nullable=True),
    sa.Index("ix_invoices_debtor", "administration_id", "debtor_id"),
)

credit_notes = sa.Table(
    "credit_notes",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("credit_note_id", sa.String(_ID), primary_key=True),
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("open_amount", MONEY, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Index("ix_credit_notes_debtor", "administration_id", "debtor_id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("message_id", sa.String(_ID), primary_key=True),
    sa.Column("administration_id", sa.String(_ID), nullable=False),
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("invoice_ids", sa.JSON, nullable=False),
    sa.Column("case_id", sa.String(36), nullable=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("subject", sa.String(500), nullable=True),
    sa.Column("legally_required", sa.Boolean, nullable=False),
    _at("at", nullable=False),
    sa.Column("detail", sa.String(2000), nullable=True),
    sa.Index("ix_messages_debtor", "administration_id", "debtor_id", "at"),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("administration_id", sa.String(_ID), nullable=False),
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("consumer", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("step", sa.String(30), nullable=False),
    sa.Column("step_on", sa.Date, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=True),
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.Column("outcome", sa.String(20), nullable=True),
    sa.Column("unbooked", MONEY, nullable=False),
    sa.Column("partner_id", sa.String(_ID), nullable=True),
    sa.Column("handoff_id", sa.String(36), nullable=True),
    sa.Column("partner_sequence", sa.Integer, nullable=False),
    sa.Column("partner_status", sa.String(20), nullable=True),
    # The payment plan (dunning's) pausing the case.
    sa.Column("plan_id", sa.String(_ID), nullable=True),
    # domain/cases.py CaseInvoice and Entry, as JSON lists (adapters/codec.py).
    sa.Column("invoices", sa.JSON, nullable=False),
    sa.Column("entries", sa.JSON, nullable=False),
    _at("updated_at", nullable=False),
    sa.Index("ix_cases_debtor", "administration_id", "debtor_id", "status"),
    # The daily step run: open cases whose step began long enough ago.
    sa.Index("ix_cases_schedule", "status", "step_on"),
    sa.Index("ix_cases_list", "administration_id", "status", "step", "case_id"),
)

interest_rates = sa.Table(
    "interest_rates",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("valid_from", sa.Date, primary_key=True),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("rate_percent", sa.Numeric(7, 4), nullable=False),
    sa.Column("confirmed", sa.Boolean, nullable=False),
    sa.Column("source", sa.String(1000), nullable=False),
)

handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("handoff_id", sa.String(36), primary_key=True),
    sa.Column("administration_id", sa.String(_ID), nullable=False),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("partner_id", sa.String(_ID), nullable=False),
    # The handoff document (the CaseHandedOff payload) as sent.
    sa.Column("document", sa.JSON, nullable=False),
    _at("created_at", nullable=False),
    # An own partner's dossier: where it goes, when it went, how often it was tried.
    sa.Column("email_to", sa.String(320), nullable=True),
    _at("emailed_at"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.String(2000), nullable=True),
    _at("next_attempt_at"),
    sa.Index("ix_handoffs_case", "administration_id", "case_id"),
    sa.Index("ix_handoffs_email_due", "emailed_at", "next_attempt_at"),
)
