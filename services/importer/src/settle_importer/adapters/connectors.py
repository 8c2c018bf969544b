"""From a connection's stored configuration (or a delivered file) to a `Connector`.

A new bookkeeping package registers one factory here under its `source_kind`; nothing else in
the service changes."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from settle_importer.adapters.sources import (
    Connector,
    CsvMapping,
    InvalidMapping,
    LineLimits,
    SourceError,
    file_kind,
    mapping_from_settings,
    not_read,
    source_for_file,
)
from settle_importer.adapters.sources.mapping import mapping_catalogue
from settle_importer.adapters.sources.preview import preview_export
from settle_importer.domain.errors import FileRefused, UnsupportedFile
from settle_importer.domain.preview import MappingPreview


class ConnectorFactory(Protocol):
    """Builds a connection's connector from its configuration; a source that can read
    incrementally reads only what changed after ``changed_since`` when it is given."""

    def __call__(
        self, config: dict[str, Any], changed_since: datetime | None = None
    ) -> Connector: ...


FACTORIES: dict[str, ConnectorFactory] = {}


def register(source_kind: str, factory: ConnectorFactory) -> None:
    """Make a kind of connection known (``moneybird``, ...)."""
    FACTORIES[source_kind] = factory


def mapping_from_config(config: dict[str, Any]) -> CsvMapping | None:
    """The CSV/XLSX mapping of a connection: ``{"preset": "dutch", ...overrides}`` or fields;
    ``None`` when it configures none. Raises ``InvalidMapping`` with plain sentences."""
    raw = config.get("mapping")
    if raw is None or raw == {}:
        return None
    return mapping_from_settings(raw)


def mapping_for_run(config: dict[str, Any]) -> CsvMapping | None:
    """``mapping_from_config`` for a run: a mapping stored before it was checked as it is now
    fails the run with the sentence (``SourceError``)."""
    try:
        return mapping_from_config(config)
    except InvalidMapping as error:
        raise SourceError(f"the connection's column mapping cannot be used: {error}") from None


def source_kind_of(path: Path) -> str:
    """The name runs show for a file's source: csv, xlsx, ubl or zip (csv for a file of no
    kind: its run fails on reading it)."""
    kind = file_kind(path)
    return "csv" if kind is None else kind.name


def file_connector(
    path: Path,
    mapping: CsvMapping | None,
    *,
    name: str | None = None,
    limits: LineLimits | None = None,
) -> Connector:
    """The connector for a delivered file. Without a configured mapping a CSV or XLSX export
    (also in a zip) is read with the first preset its header fits: the default (English)
    headers, then the Dutch preset (Dutch headers, and for text cells `;`, `1.234,56`,
    `dd-mm-yyyy`)."""
    return source_for_file(path, mapping, name=name, limits=limits)


def _file_at_path(config: dict[str, Any], changed_since: datetime | None = None) -> Connector:
    # A file is read whole every time: it has no "changed since".
    path = config.get("path")
    if not path:
        raise SourceError("the connection has no file path configured")
    file = Path(str(path))
    if not file.is_file():
        raise SourceError(f"{file} does not exist (has bookkeeping exported it?)")
    return file_connector(file, mapping_for_run(config))


register("file", _file_at_path)


def connector_for(
    source_kind: str, config: dict[str, Any], changed_since: datetime | None = None
) -> Connector:
    """Build the connector of a connection; raise ``SourceError`` when it cannot be built."""
    factory = FACTORIES.get(source_kind)
    if factory is None:
        factory = _optional_factory(source_kind)
    if factory is None:
        raise SourceError(f"connections of kind '{source_kind}' cannot be imported on their own")
    return factory(config, changed_since)


def _optional_factory(source_kind: str) -> ConnectorFactory | None:
    # API connectors live in their own module (settle_importer.adapters.sources.<kind>) and offer
    # `connector_from_config(config, changed_since)`; they are loaded only when a connection
    # uses them.
    if not source_kind.isidentifier():
        return None
    try:
        module = importlib.import_module(f"settle_importer.adapters.sources.{source_kind}")
    except ImportError:
        return None
    factory = getattr(module, "connector_from_config", None)
    if factory is None:
        return None
    FACTORIES[source_kind] = factory
    return factory


class ConnectorSources:
    """The ports' ``Sources``: the connectors registered here and the kinds of file read."""

    def for_connection(
        self, source_kind: str, config: dict[str, Any], changed_since: datetime | None = None
    ) -> Connector:
        return connector_for(source_kind, config, changed_since)

    def file_opener(
        self, path: Path, config: dict[str, Any] | None, *, name: str, limits: LineLimits
    ) -> Callable[[], Connector]:
        def open_file() -> Connector:
            mapping = mapping_for_run(config) if config is not None else None
            return file_connector(path, mapping, name=name, limits=limits)

        return open_file

    def check_mapping(self, config: dict[str, Any]) -> None:
        mapping_from_config(config)

    def kind_of(self, path: Path) -> str:
        return source_kind_of(path)

    def preview(
        self,
        path: Path,
        name: str,
        mapping: dict[str, Any] | None,
        *,
        rows: int,
        limits: LineLimits,
        partial: bool,
    ) -> MappingPreview:
        return preview_export(path, name, mapping, rows=rows, limits=limits, partial=partial)

    def mapping_catalogue(self) -> dict[str, Any]:
        return mapping_catalogue()

    def check_file(self, path: Path, name: str) -> None:
        """Refuse a file that must not be opened at all: an unknown kind, XML with a document
        type declaration (entity expansion, external entities), an archive that is a zip bomb,
        holds paths escaping it or nested archives. Problems of content are the run's
        business."""
        kind = file_kind(name)
        if kind is None:
            raise UnsupportedFile(not_read(name, Path(name).suffix))
        problem = kind.refusal(path, name)
        if problem is not None:
            raise FileRefused(f"{name}: {problem}")
