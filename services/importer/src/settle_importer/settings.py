"""Settings of the importer (environment variables `SETTLE_IMPORTER_*`)."""

from datetime import time
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from settle_shared.settings import ServiceSettings


class ImporterSettings(ServiceSettings):
    """The importer's settings on top of the common ones."""

    model_config = SettingsConfigDict(env_prefix="SETTLE_IMPORTER_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite+aiosqlite:///var/importer.db",
        description="the importer database: connections, import runs, the imported snapshot",
    )
    http_port: int = Field(8001, ge=1, le=65535, description="port of the internal HTTP API")
    inbox_dir: Path = Field(
        Path("var/inbox"),
        description="drop folders: a file placed in INBOX_DIR/ADMINISTRATION_ID/ is imported",
    )
    uploads_dir: Path = Field(
        Path("var/uploads"),
        description="where an uploaded file (and a mapping preview's) is written while it "
        "arrives and until its import ends; in a cluster a folder on the same shared "
        "(ReadWriteMany) volume as INBOX_DIR, never the container's small /tmp",
    )
    abandoned_upload_after_s: float = Field(
        86_400.0,
        gt=0,
        description="an upload folder in UPLOADS_DIR unchanged for this long was left by a "
        "replica that stopped mid-import; a replica removes such folders when it starts",
    )
    file_lease_s: float = Field(
        60.0,
        gt=0,
        description="how long a replica's claim on a dropped file lasts; renewed every third "
        "of it while the file is imported, so a file whose replica crashed is taken again "
        "after this long",
    )
    inbox_poll_s: float = Field(2.0, gt=0, description="how often the drop folders are looked at")
    default_schedule_time: time = Field(
        time(6, 0), description="local time of a daily import when a connection sets none"
    )
    default_time_zone: str = Field(
        "Europe/Amsterdam", description="time zone of a connection that sets none"
    )
    scheduler_enabled: bool = Field(
        True, description="run daily imports and watch the drop folders"
    )
    scheduler_poll_s: float = Field(
        30.0, gt=0, description="how often the scheduler checks whether a daily import is due"
    )
    upload_max_bytes: int = Field(
        100 * 1024 * 1024, ge=1, description="largest file accepted by upload or drop folder"
    )
    preview_max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1,
        description="largest file a column mapping preview reads (the start of a CSV export "
        "is enough; a workbook is read whole)",
    )
    csv_max_line_chars: int = Field(
        1 << 20,
        ge=1_000,
        description="longest CSV line read (characters): a longer line is rejected without being "
        "held in memory; a longer header line refuses the file",
    )
    csv_max_fields: int = Field(
        1_000,
        ge=10,
        description="most fields a CSV line may have; counted before the line is split",
    )
    chunk_size: int = Field(
        1000, ge=1, le=20_000, description="records reconciled and committed per transaction"
    )
    chunk_writes_at_once: int = Field(
        3,
        ge=1,
        description="chunk transactions under way at once on PostgreSQL while the next chunks "
        "are read and reconciled (SQLite: always one)",
    )
    memory_batch_size: int = Field(
        10_000,
        ge=1,
        description="entries of a run's memory (numbers read, debtor standings) written at once",
    )
    decided_debtors_kept: int = Field(
        25_000,
        ge=0,
        description="debtors decided in a run kept in memory (about 100 bytes each), so a "
        "recurring debtor costs no lookup",
    )
    first_analyze_rows: int = Field(
        5_000,
        ge=1,
        description="rows a run inserts before the planner's statistics are refreshed (then 4x "
        "as many, ...), on PostgreSQL",
    )
    absent_page_size: int = Field(
        10_000,
        ge=1,
        description="documents read at once when a complete list settles what it did not name",
    )
    stale_run_after_s: float = Field(
        45.0,
        gt=0,
        description="an import whose owner wrote no heartbeat (every third of this) for this "
        "long is taken as crashed and failed when the next one is asked for, so the "
        "administration can import again",
    )
    replica_name: str = Field(
        "",
        max_length=100,
        description="this replica's name, owner of the imports it runs: on start-up it fails "
        "those it left running; empty: the host name (give each importer process on one host "
        "its own)",
    )
