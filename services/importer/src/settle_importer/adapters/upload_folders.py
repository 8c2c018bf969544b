"""The folders of uploads under UPLOADS_DIR: one new folder per upload (the replicas share the
directory, so names never clash), and the removal of those a crashed replica left behind."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

PREFIXES = ("upload-", "preview-")


def new_folder(uploads: Path, prefix: str) -> Path:
    """A new, empty folder of its own under ``uploads`` (made when missing)."""
    assert prefix in PREFIXES
    uploads.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=uploads))


def remove_abandoned(uploads: Path, older_than_s: float) -> list[str]:
    """Remove the upload folders not changed for ``older_than_s`` seconds: a replica removes
    its folder when the import ends, so one that old was left by a replica that died. Others'
    folders of imports under way are younger. The names removed."""
    if not uploads.is_dir():
        return []
    removed = []
    cutoff = time.time() - older_than_s
    for folder in uploads.iterdir():
        if not folder.name.startswith(PREFIXES) or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed.append(folder.name)
        except FileNotFoundError:
            continue  # another replica removed it
    return removed
