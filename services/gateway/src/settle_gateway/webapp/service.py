"""The built web app's files (web/dist): which file answers a path, read once and kept with
its gzip form, since the built files only change with a new build."""

from __future__ import annotations

import gzip
import mimetypes
from dataclasses import dataclass
from pathlib import Path

# Paths of the gateway's own routes: an unknown path under them is a 404, never the app.
RESERVED_PREFIXES = ("api/", "internal/", "health/", "portal/", "metrics", "docs", "openapi")
# Vite names every built asset by its content's hash: cached by browsers for a year.
HASHED_FOLDER = "assets/"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@dataclass(frozen=True)
class WebFile:
    """One built file, as it goes to the browser."""

    content: bytes
    gzipped: bytes | None
    media_type: str
    immutable: bool


class WebApp:
    """The files of one build folder, found by the app's paths."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._files: dict[tuple[str, int], WebFile] = {}

    @property
    def built(self) -> bool:
        return (self.folder / "index.html").is_file()

    def file_for(self, path: str) -> WebFile | None:
        """The file a GET of `path` answers: the built file of that name, else the app's
        index.html for a client route; None for a missing asset or a reserved path."""
        if path.startswith(RESERVED_PREFIXES):
            return None
        candidate = (self.folder / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(self.folder):
            return self._read(candidate)
        if path.startswith(HASHED_FOLDER) or not self.built:
            return None  # a stale page asking for an asset of an earlier build
        return self._read(self.folder / "index.html")

    def _read(self, file: Path) -> WebFile:
        key = (str(file), file.stat().st_mtime_ns)
        cached = self._files.get(key)
        if cached is None:
            content = file.read_bytes()
            media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            compressible = media_type.startswith(COMPRESSIBLE) and len(content) > 1024
            cached = WebFile(
                content=content,
                gzipped=gzip.compress(content, mtime=0) if compressible else None,
                media_type=media_type,
                immutable=file.parent.name == HASHED_FOLDER.rstrip("/"),
            )
            self._files[key] = cached
        return cached
