"""The importer's database: connections, import runs with their rejected records, and the
snapshot of every document and debtor as last imported (what the next import compares with).

Every table starts with `administration_id`, and every query filters on it."""

from __future__ import annotations

import sqlalchemy as sa

from settle_shared.db import new_metadata

metadata = new_metadata()

ID = sa.String(64)
TZ_TIME = sa.DateTime(timezone=True)

# Run states. A run is `queued` from the moment it is accepted until a worker takes it.
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
ACTIVE_STATES = (QUEUED, RUNNING)

# The administrations the gateway announced (gateway.administrations.v1): the importer imports
# only into these. One administration's events arrive in order (they share a key), so the
# latest name is the one last received.
administrations = sa.Table(
    "administrations",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("known_since", TZ_TIME, nullable=False),
)

# Drop-folder files a replica is importing: claimed (an insert only one replica's succeeds, or
# a takeover of an expired claim) before the file is touched, renewed while it is imported,
# deleted once the file was moved out of the folder. A crashed replica's claim expires, and
# another replica takes the file.
file_leases = sa.Table(
    "file_leases",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("name", sa.String(300), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", TZ_TIME, nullable=False),
)

connections = sa.Table(
    "connections",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # file (a CSV/XLSX/UBL file at a path), upload (files given by upload or drop folder),
    # moneybird, ...: how `connectors.connector_for` builds the Connector
    sa.Column("source_kind", sa.String(32), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    # daily | on_demand | on_delivery
    sa.Column("schedule", sa.String(16), nullable=False),
    sa.Column("schedule_time", sa.Time, nullable=True),
    sa.Column("time_zone", sa.String(64), nullable=True),
    sa.Column("complete_list", sa.Boolean, nullable=False),
    sa.Column("ignore_invoice_numbers", sa.JSON, nullable=False),
    sa.Column("ignore_debtor_numbers", sa.JSON, nullable=False),
    sa.Column("ignore_payment_conditions", sa.JSON, nullable=False),
    # Days after the invoice date an invoice is due when its document has neither a due date
    # nor payment terms.
    sa.Column("default_payment_term_days", sa.Integer, nullable=False, server_default="30"),
    # The local date of the last daily slot a replica claimed: the scheduler's memory, so a
    # slot missed while the service was down is run when it comes back, and only once.
    sa.Column("last_scheduled_for", sa.Date, nullable=True),
    # When the last successful run of the connection began (business clock): an API source
    # that reads incrementally asks for what changed since (Moneybird's `updated_after`).
    # Saving the connection with another source or configuration clears it.
    sa.Column("last_success_started_at", TZ_TIME, nullable=True),
    sa.Column("created_at", TZ_TIME, nullable=False),
    sa.Column("updated_at", TZ_TIME, nullable=False),
    sa.Index("ix_connections_schedule", "schedule"),
)

import_runs = sa.Table(
    "import_runs",
    metadata,
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("id", ID, primary_key=True),
    sa.Column("connection_id", ID, nullable=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("source_name", sa.String(300), nullable=True),
    # upload | drop_folder | schedule | on_demand | command_line
    sa.Column("trigger", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("progress_done", sa.Integer, nullable=False),
    sa.Column("progress_total", sa.Integer, nullable=True),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("notices", sa.JSON, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", TZ_TIME, nullable=False),
    sa.Column("started_at", TZ_TIME, nullable=True),
    sa.Column("finished_at", TZ_TIME, nullable=True),
    sa.Column("heartbeat_at", TZ_TIME, nullable=True),
    # Who runs it (RunOwner): on start-up a replica fails the runs an earlier instance left.
    sa.Column("owner_replica", sa.String(100), nullable=True),
    sa.Column("owner_instance", sa.String(32), nullable=True),
    # Newest first, keyset-paginated, per administration.
    sa.Index("ix_import_runs_listing", "administration_id", "created_at", "id"),
    sa.Index("ix_import_runs_owner", "owner_replica", "status"),
    # One run per administration at a time, across replicas: the database refuses a second
    # queued or running run.
    sa.Index(
        "uq_import_runs_one_active",
        "administration_id",
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    ),
)

rejected_records = sa.Table(
    "rejected_records",
    metadata,
    sa.Column("run_id", ID, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("position", sa.String(300), nullable=False),
    sa.Column("reference", sa.String(200), nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    # A complete list does not settle a document whose record was rejected in the run.
    sa.Index("ix_rejected_records_reference", "run_id", "reference"),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("number", sa.String(100), primary_key=True),
    # uuid5(administration, kind, number): the same document always gets the same id
    sa.Column("invoice_id", ID, nullable=False),
    sa.Column("debtor_number", sa.String(100), nullable=False),
    sa.Column("invoice_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    # Amounts in cents: exact, and the database driver encodes an integer for COPY in a twentieth
    # of the time of a NUMERIC (an import writes two per document).
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    sa.Column("open_amount_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("payment_condition", sa.String(100), nullable=True),
    sa.Column("pdf_url", sa.String(2000), nullable=True),
    sa.Column("settled", sa.Boolean, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    # When the importer last wrote the row, by the database's clock.
    sa.Column("updated_at", TZ_TIME, nullable=False, server_default=sa.func.now()),
    # Complete-list settlement reads the unsettled documents of one administration.
    sa.Index("ix_documents_unsettled", "administration_id", "settled"),
)

debtors = sa.Table(
    "debtors",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("number", sa.String(100), primary_key=True),
    sa.Column("debtor_id", ID, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # When the importer last wrote the row, by the database's clock.
    sa.Column("updated_at", TZ_TIME, nullable=False, server_default=sa.func.now()),
)

# The source the administration's snapshot was last read from in full: the run that read it
# and the source's content digest. Taken away when a run starts and put back only by a run that
# succeeds, so it is there only while that run's outcome is all the snapshot holds.
snapshot_source = sa.Table(
    "snapshot_source",
    metadata,
    sa.Column("administration_id", ID, primary_key=True),
    sa.Column("run_id", ID, nullable=False),
    sa.Column("source_digest", sa.String(64), nullable=False),
)

# The memory of the run in progress, so the importer's own memory stays flat with the size of
# the source: every document number read so far, with where it first occurred (duplicates are
# rejected with that position; a complete list settles what is not here), and how far each
# debtor got. Written in batches as the run goes; a run's rows are deleted when it ends.
# UNLOGGED on PostgreSQL (see migration 0003): scratch that need not survive a crash.
run_numbers = sa.Table(
    "import_run_numbers",
    metadata,
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("run_id", ID, nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("position", sa.String(300), nullable=False),
    # The number first: a chunk looks up its thousand numbers, and on (administration, run,
    # ...) the planner scans all of the run's rows for them instead.
    sa.PrimaryKeyConstraint("number", "kind", "administration_id", "run_id"),
)

run_debtors = sa.Table(
    "import_run_debtors",
    metadata,
    sa.Column("administration_id", ID, nullable=False),
    sa.Column("run_id", ID, nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("decided", sa.Boolean, nullable=False),
    sa.Column("open_document", sa.Boolean, nullable=False),
    # the details first read for an undecided debtor, as JSON
    sa.Column("waiting", sa.Text, nullable=True),
    sa.PrimaryKeyConstraint("number", "administration_id", "run_id"),
)
