"""The gateway's database: identity (organisations, administrations, users, roles, tokens) and
the read model, a projection of the other services' events that the UI queries.

Read-model tables start with `rm_`; `settle gateway rebuild` empties exactly those."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from settle_shared.db import new_metadata

metadata = new_metadata()

MONEY = sa.Numeric(14, 2)
TS = sa.DateTime(timezone=True)
ID = sa.String(100)


def trigram_index(name: str, *columns: str) -> sa.Index:
    """A pg_trgm GIN index: `ILIKE '%text%'` (3 characters or more) on PostgreSQL finds its
    rows through it instead of reading the table. SQLite has no such index; there it is an
    empty partial index, so both backends keep one schema (see docs/api.md, Search)."""
    return sa.Index(
        name,
        *columns,
        postgresql_using="gin",
        postgresql_ops=dict.fromkeys(columns, "gin_trgm_ops"),
        sqlite_where=sa.text("0"),
    )


# --- identity ------------------------------------------------------------------------------

organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

administrations = sa.Table(
    "administrations",
    metadata,
    # The id the other services know as administration_id.
    sa.Column("id", ID, primary_key=True),
    sa.Column("organisation_id", ID, sa.ForeignKey("organisations.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # When its AdministrationCreated went into the outbox; None for one created before the
    # gateway published administrations (the gateway announces those when it starts).
    sa.Column("announced_at", TS, nullable=True),
    sa.Index("ix_administrations_organisation", "organisation_id"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("organisation_id", ID, sa.ForeignKey("organisations.id"), nullable=False),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    # None: the user signs in only through the OpenID Connect provider.
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # Runs the platform: may create and list organisations (set on the command line only).
    sa.Column("platform_administrator", sa.Boolean, nullable=False, server_default=sa.false()),
)

# A user's invitation to choose a password: a random token shown once to whoever invited
# them, stored as its hash; spent when the password is set.
invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", ID, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("used_at", TS, nullable=True),
    sa.Index("ix_invitations_user", "user_id"),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("administration_id", ID, sa.ForeignKey("administrations.id"), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id"), nullable=False),
    # A chain of rotations: reuse of a rotated token revokes the whole family.
    sa.Column("family_id", ID, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("used_at", TS, nullable=True),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Index("ix_refresh_tokens_family", "family_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("administration_id", ID, sa.ForeignKey("administrations.id"), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
    # Who made it (a user id; None for one made on the command line) and the token's last
    # characters, so a list tells tokens apart without showing them.
    sa.Column("created_by", ID, nullable=True),
    sa.Column("hint", sa.String(8), nullable=True),
    sa.Index("ix_api_tokens_administration", "administration_id", "created_at"),
)

# Failed logins, one row per failure: every replica counts the same (see LoginLimiter).
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(320), nullable=False),
    sa.Column("address", sa.String(100), nullable=False),
    sa.Column("failed_at", TS, nullable=False),
    sa.Index("ix_login_failures_key", "account", "address", "failed_at"),
    sa.Index("ix_login_failures_at", "failed_at"),
    sa.Index("ix_login_failures_address", "address", "failed_at"),
)

# --- read model -----------------------------------------------------------------------------

rm_debtors = sa.Table(
    "rm_debtors",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("emails", sa.JSON, nullable=False),
    sa.Column("phone", sa.String(100), nullable=True),
    sa.Column("address_lines", sa.JSON, nullable=False),
    sa.Column("postal_code", sa.String(20), nullable=True),
    sa.Column("city", sa.String(100), nullable=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("language", sa.String(2), nullable=True),
    # Maintained so the debtor list filters without counting invoices; the open amounts are
    # per currency, in rm_debtor_totals.
    sa.Column("open_invoices", sa.Integer, nullable=False),
    # Chosen by a user (dunning's DebtorLanguageChosen): it goes before bookkeeping's.
    sa.Column("chosen_language", sa.String(2), nullable=True),
    # The list's order; the debtor search reads rm_debtor_words instead.
    sa.Index("ix_rm_debtors_name", "administration_id", "name", "debtor_id"),
)

# Each debtor once per word of its name (and once for its number): the debtor search reads
# the start of a word as a range on ix_rm_debtor_words_word, in the list's name order. On
# PostgreSQL the word is compared byte by byte (collation "C") so that the range holds
# exactly the words with that start, whatever the database's collation.
WORD = sa.String(300).with_variant(sa.String(300, collation="C"), "postgresql")
rm_debtor_words = sa.Table(
    "rm_debtor_words",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, primary_key=True),
    sa.Column("word", WORD, primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Index("ix_rm_debtor_words_word", "administration_id", "word", "name", "debtor_id"),
)

rm_invoices = sa.Table(
    "rm_invoices",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("invoice_id", ID, primary_key=True),
    # Importer facts carry a version; dunning events are ordered by their event time.
    sa.Column("import_version", sa.Integer, nullable=False),
    sa.Column("dunning_at", TS, nullable=True),
    sa.Column("number", sa.String(100), nullable=True),
    sa.Column("debtor_id", ID, nullable=True),
    sa.Column("debtor_name", sa.String(300), nullable=True),
    sa.Column("invoice_date", sa.Date, nullable=True),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("amount", MONEY, nullable=True),
    sa.Column("open_amount", MONEY, nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),  # unknown, open, settled
    sa.Column("phase", sa.String(50), nullable=False),
    sa.Column("on_hold", sa.Boolean, nullable=False),
    sa.Column("next_step_id", sa.String(100), nullable=True),
    sa.Column("next_step_on", sa.Date, nullable=True),
    sa.Column("blocked_by", sa.String(100), nullable=True),
    sa.Column("pdf_url", sa.String(1000), nullable=True),
    # document, payment_terms or default_term (assumed: the document said neither)
    sa.Column("due_date_source", sa.String(20), nullable=True),
    # What the debtor paid online for it (paid payments), until bookkeeping books it; None
    # when no paid payment covers it (payments/projection.py).
    sa.Column("paid_online", MONEY, nullable=True),
    sa.Index("ix_rm_invoices_due", "administration_id", "status", "due_date", "invoice_id"),
    sa.Index("ix_rm_invoices_amount", "administration_id", "status", "open_amount", "invoice_id"),
    sa.Index("ix_rm_invoices_number", "administration_id", "number"),
    sa.Index("ix_rm_invoices_debtor", "administration_id", "debtor_id"),
    # Phase, status and the keyset order: a filtered page reads only the rows it shows.
    sa.Index(
        "ix_rm_invoices_phase", "administration_id", "phase", "status", "due_date", "invoice_id"
    ),
    trigram_index("ix_rm_invoices_search", "number", "debtor_name"),
)

# Credit notes (also invoices with a negative amount), never reminded of: shown with their
# debtor and the invoice they correct. Amounts are negative.
rm_credit_notes = sa.Table(
    "rm_credit_notes",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("credit_note_id", ID, primary_key=True),
    sa.Column("import_version", sa.Integer, nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("invoice_date", sa.Date, nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("open_amount", MONEY, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open, settled (matched)
    sa.Column("corrects_invoice_id", ID, nullable=True),
    sa.Column("corrects_invoice_number", sa.String(100), nullable=True),
    sa.Index("ix_rm_credit_notes_list", "administration_id", "status", "number"),
    sa.Index("ix_rm_credit_notes_debtor", "administration_id", "debtor_id"),
    sa.Index("ix_rm_credit_notes_corrects", "administration_id", "corrects_invoice_id"),
)

rm_attention = sa.Table(
    "rm_attention",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("subject_type", sa.String(20), primary_key=True),
    sa.Column("subject_id", ID, primary_key=True),
    sa.Column("reason", sa.String(50), primary_key=True),
    sa.Column("open", sa.Boolean, nullable=False),
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Index("ix_rm_attention_reason", "administration_id", "reason", "open"),
)

# Pauses of whole administrations (subject_type "administration", subject_id the
# administration) and of debtors, as dunning announced them; a resume keeps its row as
# "active" so an older event arriving late cannot pause again.
rm_pauses = sa.Table(
    "rm_pauses",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("subject_type", sa.String(20), primary_key=True),
    sa.Column("subject_id", ID, primary_key=True),
    sa.Column("mode", sa.String(20), nullable=False),  # active, reminders_paused, fully_paused
    sa.Column("at", TS, nullable=False),
)

rm_steps = sa.Table(
    "rm_steps",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("invoice_id", ID, nullable=False),
    sa.Column("step_id", sa.String(100), nullable=False),
    sa.Column("executed_on", sa.Date, nullable=False),
    sa.Column("phase", sa.String(50), nullable=False),
    sa.Column("reason", sa.String(30), nullable=False),
    sa.Column("channels", sa.JSON, nullable=False),
    sa.Column("legally_required", sa.Boolean, nullable=False),
    sa.Column("at", TS, nullable=False),
    # Set by StepFailed: the step's message reached the debtor on no channel.
    sa.Column("failed_on", sa.Date, nullable=True),
    sa.Column("failure_reason", sa.String(40), nullable=True),
    sa.Column("failure_detail", sa.Text, nullable=True),
    sa.Index("ix_rm_steps_invoice", "administration_id", "invoice_id", "at"),
)

rm_messages = sa.Table(
    "rm_messages",
    metadata,
    sa.Column("message_id", ID, primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("thread_id", ID, nullable=False),
    sa.Column("direction", sa.String(10), nullable=False),  # outbound, inbound
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("channel", sa.String(20), nullable=True),
    sa.Column("subject", sa.String(500), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("invoice_ids", sa.JSON, nullable=False),
    sa.Column("read", sa.Boolean, nullable=False),
    # Time of the newest read/unread fact, kept apart from the delivery state's time.
    sa.Column("read_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    # Time of the newest fact applied: an older one never overwrites it.
    sa.Column("state_at", TS, nullable=False),
    sa.Index("ix_rm_messages_inbox", "administration_id", "direction", "read", "created_at"),
    sa.Index("ix_rm_messages_debtor", "administration_id", "debtor_id", "created_at"),
    # The letters to post, oldest first: few rows of many, so an index of those rows alone.
    sa.Index(
        "ix_rm_messages_awaiting_posting",
        "administration_id",
        "created_at",
        "message_id",
        postgresql_where=sa.text("state = 'awaiting_posting' AND direction = 'outbound'"),
        sqlite_where=sa.text("state = 'awaiting_posting' AND direction = 'outbound'"),
    ),
)

rm_message_invoices = sa.Table(
    "rm_message_invoices",
    metadata,
    sa.Column("message_id", ID, primary_key=True),
    sa.Column("invoice_id", ID, primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Index("ix_rm_message_invoices_invoice", "administration_id", "invoice_id"),
)

rm_import_runs = sa.Table(
    "rm_import_runs",
    metadata,
    sa.Column("run_id", ID, primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("source", sa.String(50), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Index("ix_rm_import_runs_adm", "administration_id", "started_at"),
)

# Online payments as the payments service reported them; their invoices in
# rm_payment_invoices, so an invoice's timeline and what it was paid online read an index.
rm_payments = sa.Table(
    "rm_payments",
    metadata,
    sa.Column("payment_id", ID, primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    # open, pending, authorized, paid, failed, canceled, expired, refunded, charged_back
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("method", sa.String(50), nullable=True),
    sa.Column("psp", sa.String(50), nullable=True),
    sa.Column("refunded_amount", MONEY, nullable=False),
    sa.Column("charged_back_amount", MONEY, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    # Time of the newest fact applied: an older one never overwrites it.
    sa.Column("status_at", TS, nullable=False),
    sa.Index("ix_rm_payments_debtor", "administration_id", "debtor_id", "created_at"),
    sa.Index("ix_rm_payments_created", "administration_id", "created_at", "payment_id"),
)

rm_payment_invoices = sa.Table(
    "rm_payment_invoices",
    metadata,
    sa.Column("payment_id", ID, primary_key=True),
    sa.Column("invoice_id", ID, primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("amount", MONEY, nullable=False),
    sa.Index("ix_rm_payment_invoices_invoice", "administration_id", "invoice_id"),
)

# Maintained aggregates, so the dashboard never scans invoices.
rm_phase_totals = sa.Table(
    "rm_phase_totals",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("phase", sa.String(50), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("total", MONEY, nullable=False),
)

# Open invoices per due date: aging and overdue totals sum a few thousand due dates instead of
# reading a million invoices, and stay right as days pass (the buckets are cut at query time).
rm_due_totals = sa.Table(
    "rm_due_totals",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("due_date", sa.Date, primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("total", MONEY, nullable=False),
)

# Each debtor's open invoices per currency: amounts of two currencies are never added.
rm_debtor_totals = sa.Table(
    "rm_debtor_totals",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("total", MONEY, nullable=False),
)

rm_attention_counts = sa.Table(
    "rm_attention_counts",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("subject_type", sa.String(20), primary_key=True),
    sa.Column("reason", sa.String(50), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

# Open invoices paid online that bookkeeping has not booked yet (the next import settles
# them), per currency: the dashboard's "paid online, not yet booked".
rm_paid_online_totals = sa.Table(
    "rm_paid_online_totals",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("total", MONEY, nullable=False),
)

# Invoiced per month of the invoice date (all invoices, settled ones too): the sales the
# dashboard's DSO divides by, kept by the deltas of each batch (dashboard/series.py).
rm_monthly_invoiced = sa.Table(
    "rm_monthly_invoiced",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("month", sa.Date, primary_key=True),  # its first day
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("total", MONEY, nullable=False),
)

# The open invoices at each month end, per aging bucket: written from rm_due_totals when the
# business month turns (dashboard/series.py). History the events cannot give back (they do
# not say what was open when), so not an rm_ table: `settle gateway rebuild` keeps it.
month_end_aging = sa.Table(
    "month_end_aging",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("month_end", sa.Date, primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("bucket", sa.String(10), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("total", MONEY, nullable=False),
)

# Per administration, the last month end written to month_end_aging: the months after it have
# not turned yet as far as the projection has seen.
month_ends_closed = sa.Table(
    "month_ends_closed",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("closed_through", sa.Date, nullable=False),
    # The month end before the first one kept: what was open then is not known.
    sa.Column("followed_after", sa.Date, nullable=False),
)

# --- debtor portal --------------------------------------------------------------------------

# Portal requests with a link that is not (or no longer) valid, one row per failure, counted
# per client address in a sliding window (see portal/service.py, PortalLimiter).
portal_failures = sa.Table(
    "portal_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("address", sa.String(100), nullable=False),
    sa.Column("failed_at", TS, nullable=False),
    sa.Index("ix_portal_failures_address", "address", "failed_at"),
    sa.Index("ix_portal_failures_at", "failed_at"),
)

# The payments the portal asked for, by the idempotency key of the pay form: the PSP sends
# the debtor back to a URL made before the payment had an id, which names the key.
portal_payments = sa.Table(
    "portal_payments",
    metadata,
    sa.Column("idempotency_key", sa.String(64), primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("payment_id", ID, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

# Payment plans as dunning last published them (plans/projection.py): the whole plan as
# JSON, with the columns lists filter by; which plans covered an invoice.
rm_payment_plans = sa.Table(
    "rm_payment_plans",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("plan_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.Column("plan", sa.JSON, nullable=False),
    sa.Index("ix_rm_payment_plans_status", "administration_id", "status", "created_on"),
    sa.Index("ix_rm_payment_plans_debtor", "administration_id", "debtor_id"),
)

rm_payment_plan_invoices = sa.Table(
    "rm_payment_plan_invoices",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("invoice_id", ID, primary_key=True),
    sa.Column("plan_id", ID, primary_key=True),
)

rm_payment_plan_cases = sa.Table(
    "rm_payment_plan_cases",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("case_id", ID, primary_key=True),
    sa.Column("plan_id", ID, primary_key=True),
)

# Collection cases as the collection service announces them (cases/projection.py).
rm_cases = sa.Table(
    "rm_cases",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("case_id", ID, primary_key=True),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("step", sa.String(30), nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("invoice_ids", sa.JSON, nullable=False),
    sa.Column("principal", MONEY, nullable=False),
    sa.Column("costs", MONEY, nullable=False),
    sa.Column("interest", MONEY, nullable=False),
    sa.Column("total", MONEY, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("balance_as_of", sa.Date, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=True),
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.Column("outcome", sa.String(20), nullable=True),
    sa.Column("partner_id", ID, nullable=True),
    sa.Column("last_event", sa.String(60), nullable=False),
    sa.Column("changed_on", sa.Date, nullable=False),
    # The envelope time of the event the row shows: an older event arriving late is ignored.
    sa.Column("at", TS, nullable=False),
    sa.Index("ix_rm_cases_list", "administration_id", "status", "step", "case_id"),
    sa.Index("ix_rm_cases_debtor", "administration_id", "debtor_id", "case_id"),
)

# Active (proposed and open) cases per status and step: the dashboard's counts, maintained by
# the projection's deltas.
rm_case_counts = sa.Table(
    "rm_case_counts",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("status", sa.String(20), primary_key=True),
    sa.Column("step", sa.String(30), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

READ_MODEL = [table for name, table in metadata.tables.items() if name.startswith("rm_")]

# Older than any event: the time kept with a read-model row a command wrote before its event
# came, so the first event about it overwrites what the command recorded.
BEFORE_ANY_EVENT = datetime(2000, 1, 1, tzinfo=UTC)
