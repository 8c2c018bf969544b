"""The importer as its pod runs it: a process whose memory is capped at the Deployment's
memory limit (as address space, `prlimit --as`), with a temporary directory of its own that
the test watches, takes an upload of the largest size accepted (100 MiB of CSV) and imports
it. The upload is written to UPLOADS_DIR (the shared files volume in a cluster) as it
arrives, so neither memory nor the pod's small /tmp grows with it."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from settle_importer.app import SERVICE
from settle_importer.settings import ImporterSettings
from settle_shared.testing.infra import kafka_server, missing
from settle_shared.testing.service import announce_administration

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).parents[4] / "deploy" / "k8s" / "base"
ADM = "adm-1"
HEADER = (
    "Factuurnummer;Debiteurnummer;Naam;Factuurdatum;Vervaldatum;Bedrag;Openstaand;Omschrijving\n"
)
# What the pod's /tmp (an emptyDir of 64 MiB) may see at most while the upload is imported.
TMP_BUDGET = 1024 * 1024


def _mebibytes(quantity: str) -> int:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(quantity[: -len(suffix)]) * factor
    return int(quantity)


def _memory_limit() -> int:
    """The importer container's memory limit in the base manifests, in bytes."""
    deployment = yaml.safe_load((DEPLOY / "importer" / "deployment.yaml").read_text())
    [container] = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "importer"
    ]
    return _mebibytes(container["resources"]["limits"]["memory"])


def _csv_lines(size: int) -> Iterator[bytes]:
    """A Dutch export of exactly ``size`` bytes: invoices with a long description (a column
    the import does not read), so the file is large and its run short."""
    yield HEADER.encode()
    left = size - len(HEADER)
    n = 0
    while left > 0:
        n += 1
        start = (
            f"2025-{n:07d};D{n % 500};Klant {n % 500};01-03-2025;31-03-2025;121,00;121,00;"
        ).encode()
        filler = min(8000, left - len(start) - 1)
        if left - (len(start) + filler + 1) < 200:  # the last line takes what is left
            filler = left - len(start) - 1
        line = start + b"x" * filler + b"\n"
        left -= len(line)
        yield line


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _size_of(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:
            continue
    return total


def _status(pid: int, field: str) -> int:
    """A size from /proc/<pid>/status in bytes: VmHWM, the peak resident memory (what the
    memory limit counts), or VmPeak, the peak address space (what `prlimit --as` caps)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@pytest.fixture
def own_kafka() -> Iterator[str]:
    """A broker of this test's own: the import publishes some 13,000 invoices, which every
    later test's consumers on the session's shared broker would otherwise read first."""
    with kafka_server() as bootstrap:
        if bootstrap is None:
            missing("Kafka: none found for the pod-limits test")
        assert bootstrap is not None
        yield bootstrap


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")
async def test_the_importer_under_its_pod_limits_imports_an_upload_of_the_largest_size(
    pg_database: str, own_kafka: str, tmp_path: Path
):
    kafka_bootstrap = own_kafka
    limit = ImporterSettings().upload_max_bytes
    memory_limit = _memory_limit()
    export = tmp_path / "openstaand.csv"
    with export.open("wb") as out:
        for line in _csv_lines(limit):
            out.write(line)
    assert export.stat().st_size == limit

    files = tmp_path / "files"  # the shared volume in a cluster
    tmp = tmp_path / "tmp"  # the pod's /tmp
    tmp.mkdir()
    await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).with_name("settle")), "migrate", "importer"],
        env={**os.environ, "SETTLE_IMPORTER_DATABASE_URL": pg_database},
        check=True,
        capture_output=True,
    )
    await announce_administration(SERVICE, pg_database, ADM)
    port = _free_port()
    env = {
        **os.environ,
        "TMPDIR": str(tmp),
        # The pod's limit counts resident memory; `--as` counts address space, of which glibc
        # reserves 64 MiB per thread arena without using it. Two arenas keep the cap about
        # what is used.
        "MALLOC_ARENA_MAX": "2",
        "SETTLE_IMPORTER_ENVIRONMENT": "test",
        "SETTLE_IMPORTER_DATABASE_URL": pg_database,
        "SETTLE_IMPORTER_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "SETTLE_IMPORTER_HTTP_PORT": str(port),
        "SETTLE_IMPORTER_INBOX_DIR": str(files / "inbox"),
        "SETTLE_IMPORTER_UPLOADS_DIR": str(files / "uploads"),
        "SETTLE_IMPORTER_LOG_LEVEL": "WARNING",
    }
    command = [
        "prlimit",
        f"--as={memory_limit}",
        "--",
        str(Path(sys.executable).with_name("settle")),
        "serve",
        "importer",
    ]
    log = (tmp_path / "importer.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    tmp_peak = 0
    watching = True

    def watch_tmp() -> None:
        nonlocal tmp_peak
        while watching:
            tmp_peak = max(tmp_peak, _size_of(tmp))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch_tmp, daemon=True)
    watcher.start()
    base = f"http://127.0.0.1:{port}/internal/v1/administrations/{ADM}"
    token = ImporterSettings().service_token.get_secret_value()
    try:
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            for _ in range(300):
                assert process.poll() is None, (tmp_path / "importer.log").read_text()
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/health/live")).is_success:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            started = _status(process.pid, "VmHWM")

            def upload() -> httpx.Response:
                with (
                    export.open("rb") as body,
                    httpx.Client(headers=client.headers, timeout=120) as sync_client,
                ):
                    return sync_client.post(
                        f"{base}/imports", files={"file": ("openstaand.csv", body, "text/csv")}
                    )

            response = await asyncio.to_thread(upload)
            assert response.status_code == 202, response.text
            run_id = response.json()["run_id"]
            for _ in range(900):
                run = (await client.get(f"{base}/runs/{run_id}")).json()
                if run["status"] in ("succeeded", "failed"):
                    break
                await asyncio.sleep(0.1)
            peak = _status(process.pid, "VmHWM")
            address_space = _status(process.pid, "VmPeak")
    finally:
        watching = False
        process.terminate()
        await asyncio.to_thread(process.wait, 20)
        log.close()
        watcher.join()

    mib = 1 << 20
    print(
        f"\n100 MiB upload imported: peak resident memory {peak / mib:.0f} MiB "
        f"({started / mib:.0f} MiB once started), peak address space "
        f"{address_space / mib:.0f} MiB of the {memory_limit / mib:.0f} MiB limit; "
        f"TMPDIR peak {tmp_peak} bytes"
    )
    assert run["status"] == "succeeded", run
    assert run["counts"]["rejected"] == 0
    assert run["counts"]["new"] > 10_000
    assert tmp_peak <= TMP_BUDGET
    assert peak < memory_limit
    assert peak - started < 64 * (1 << 20)  # the 100 MiB file was never held in memory
    assert list((files / "uploads").iterdir()) == []  # removed once imported
