"""The dunning database (SQLAlchemy Core): administrations, debtors, credit notes, flows,
each invoice's dunning state, executed steps, attention items and daily runs.

An invoice's dunning state is one row: the columns the service queries by (the indexed
`next_step_date` above all, which the daily run selects on) plus the whole state as JSON, so
the run reads and writes one row per due invoice and never touches the others.
"""

import sqlalchemy as sa

from settle_shared.db import new_metadata

metadata = new_metadata()

ID = sa.String(64)
MONEY = sa.Numeric(14, 2)
TZ_TIME = sa.DateTime(timezone=True)

administrations = sa.Table(
    "administrations",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("default_language", sa.String(8), nullable=False),
    sa.Column("fallback_language", sa.String(8), nullable=False),
    sa.Column("tone", sa.String(16), nullable=False),
    sa.Column("pause", sa.String(32), nullable=False),
    sa.Column("paused_on", sa.Date, nullable=True),
    # The business date of the last daily run: a run for an earlier date is refused.
    sa.Column("last_run_date", sa.Date, nullable=True),
    sa.Column("created_at", TZ_TIME, nullable=False),
)

debtors = sa.Table(
    "debtors",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("emails", sa.JSON, nullable=False),
    sa.Column("phone", sa.String(50), nullable=True),
    sa.Column("language", sa.String(8), nullable=True),
    # Chosen by a user: no import changes it, and it goes before bookkeeping's `language`.
    sa.Column("chosen_language", sa.String(8), nullable=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("address", sa.JSON, nullable=True),
    sa.Column("pause", sa.String(32), nullable=False),
    sa.Column("last_reminded_on", sa.Date, nullable=True),
    # 0 until the importer told us about the debtor (an invoice may arrive first).
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", TZ_TIME, nullable=False),
)

credit_notes = sa.Table(
    "credit_notes",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("open_amount", MONEY, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("invoice_date", sa.Date, nullable=True),
    sa.Column("corrects_invoice_id", ID, nullable=True),
    sa.Column("corrects_invoice_number", sa.String(100), nullable=True),
    sa.Index("ix_credit_notes_debtor", "administration_id", "debtor_id"),
)

flows = sa.Table(
    "flows",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("id", ID, primary_key=True),
    # Selection ties go to the flow listed first.
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("updated_at", TZ_TIME, nullable=False),
)

dunning_states = sa.Table(
    "dunning_states",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("invoice_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("flow_id", ID, nullable=False),
    sa.Column("phase", sa.String(40), nullable=False),
    # NULL when the daily run has nothing to do for the invoice (settled, paused, blocked,
    # flow finished): only rows with a date are ever selected.
    sa.Column("next_step_date", sa.Date, nullable=True),
    sa.Column("open_amount", MONEY, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("settled", sa.Boolean, nullable=False),
    sa.Column("on_hold", sa.Boolean, nullable=False),
    sa.Column("blocked_by", sa.String(40), nullable=True),
    sa.Column("fact_version", sa.Integer, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("updated_at", TZ_TIME, nullable=False),
    sa.Index("ix_dunning_states_due", "administration_id", "next_step_date"),
    sa.Index("ix_dunning_states_debtor", "administration_id", "debtor_id"),
    sa.Index("ix_dunning_states_flow", "administration_id", "flow_id"),
)

executed_steps = sa.Table(
    "executed_steps",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("invoice_id", ID, nullable=False),
    sa.Column("flow_id", ID, nullable=False),
    sa.Column("step_id", ID, nullable=False),
    sa.Column("executed_on", sa.Date, nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("channels", sa.JSON, nullable=False),
    sa.Column("phase", sa.String(40), nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("legally_required", sa.Boolean, nullable=False),
    sa.Column("message_request_id", ID, nullable=True),
    sa.Column("recorded_at", TZ_TIME, nullable=False),
    # Set when the step's message reached the debtor on no channel (domain/delivery.py).
    sa.Column("failed_on", sa.Date, nullable=True),
    sa.Column("failure_reason", sa.String(40), nullable=True),
    sa.Column("failure_detail", sa.Text, nullable=True),
    sa.Index("ix_executed_steps_invoice", "administration_id", "invoice_id"),
)

attention_items = sa.Table(
    "attention_items",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("subject", sa.String(16), nullable=False),
    sa.Column("subject_id", ID, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("invoice_ids", sa.JSON, nullable=False),
    sa.Column("raised_at", TZ_TIME, nullable=False),
    sa.Column("resolved_at", TZ_TIME, nullable=True),
    sa.Column("resolution", sa.Text, nullable=True),
    # One open item per subject and reason: raising it again is a no-op.
    sa.Index(
        "uq_attention_items_open",
        "administration_id",
        "subject",
        "subject_id",
        "reason",
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    ),
    sa.Index("ix_attention_items_list", "administration_id", "resolved_at", "id"),
)

daily_runs = sa.Table(
    "daily_runs",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("business_date", sa.Date, primary_key=True),
    sa.Column("started_at", TZ_TIME, nullable=False),
    sa.Column("finished_at", TZ_TIME, nullable=True),
    sa.Column("steps_executed", sa.Integer, nullable=False),
    sa.Column("messages_requested", sa.Integer, nullable=False),
)

# What messaging reported about a debtor's email, with the time of each fact, so an older
# fact that arrives late cannot undo a newer one.
debtor_mailboxes = sa.Table(
    "debtor_mailboxes",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, primary_key=True),
    sa.Column("last_sent_at", TZ_TIME, nullable=True),
    sa.Column("last_undeliverable_at", TZ_TIME, nullable=True),
)

# The debtors' replies and whether each is unread: the unread-messages item counts them.
debtor_replies = sa.Table(
    "debtor_replies",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("message_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("unread", sa.Boolean, nullable=False),
    # The time of the fact that set `unread` (received, read or marked unread again).
    sa.Column("marked_at", TZ_TIME, nullable=False),
    sa.Index("ix_debtor_replies_debtor", "administration_id", "debtor_id"),
)

# Invoices held because an online payment covers them (domain/online_payments.py): until the
# import settles the invoice, the money goes back, or `until` passes without a booking.
payment_holds = sa.Table(
    "payment_holds",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("invoice_id", ID, primary_key=True),
    sa.Column("payment_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("until", sa.Date, nullable=False),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("ended_by", sa.String(20), nullable=True),
    sa.Index("ix_payment_holds_until", "until"),
)

# Payment plans (domain/plans.py): the whole plan as JSON, with the columns the service
# queries by. `next_action_on` is NULL when the daily run has nothing to do for the plan, so
# the run reads only plans with a reminder, a missed instalment or an expiry due.
payment_plans = sa.Table(
    "payment_plans",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("plan_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("next_action_on", sa.Date, nullable=True),
    sa.Column("plan", sa.JSON, nullable=False),
    sa.Column("created_at", TZ_TIME, nullable=False),
    sa.Column("updated_at", TZ_TIME, nullable=False),
    sa.Index("ix_payment_plans_due", "administration_id", "next_action_on"),
    sa.Index("ix_payment_plans_debtor", "administration_id", "debtor_id"),
)

# Which plans ever covered an invoice (a finished plan no longer holds its invoices).
payment_plan_invoices = sa.Table(
    "payment_plan_invoices",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("invoice_id", ID, primary_key=True),
    sa.Column("plan_id", ID, primary_key=True),
)

# The collection cases each plan ever covered (a case is in at most one holding plan).
payment_plan_cases = sa.Table(
    "payment_plan_cases",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("case_id", ID, primary_key=True),
    sa.Column("plan_id", ID, primary_key=True),
)

# Invoices held by a collection case (domain/collection_cases.py): the case holding each, so a
# late event of an older case of the invoice cannot release a newer one.
collection_holds = sa.Table(
    "collection_holds",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("invoice_id", ID, primary_key=True),
    sa.Column("case_id", ID, nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
)

# An administration's plan offers (domain/plan_offers.py), ordered by their ranges.
plan_offers = sa.Table(
    "plan_offers",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("min_open_amount", MONEY, nullable=False),
    sa.Column("max_open_amount", MONEY, nullable=False),
    sa.Column("max_instalments", sa.Integer, nullable=False),
    sa.Column("first_payment_within_days", sa.Integer, nullable=False),
    sa.Column("updated_at", TZ_TIME, nullable=False),
)
