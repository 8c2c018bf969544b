"""What a worker of `settle serve <service> --workers N` loads and how its supervisor waits."""

from __future__ import annotations

import subprocess
import sys

import pytest
import uvicorn

from settle_shared.cli import serving
from settle_shared.service import load_service

pytestmark = pytest.mark.unit


def test_a_worker_imports_only_the_service_it_serves() -> None:
    # Each worker starts by importing; the other services' code (the messaging service's PDF
    # library among it) would only make it slower to come up.
    script = (
        "import sys; from settle_shared.service import load_service;"
        "spec = load_service('gateway');"
        "print(spec.name, sorted(m for m in ('settle_messaging', 'settle_dunning',"
        " 'settle_importer', 'fpdf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "gateway []"


def test_an_unknown_service_is_named_in_the_error() -> None:
    with pytest.raises(LookupError, match="'billing'"):
        load_service("billing")


def test_the_supervisor_gives_a_starting_worker_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Uvicorn's default kills a worker that has not answered its ping within 5 s, which a
    # worker importing on a busy machine can miss; it was then restarted over and over.
    started: list[uvicorn.Config] = []

    class Supervisor:
        def __init__(self, config: uvicorn.Config, sockets: list[object]) -> None:
            started.append(config)

        def run(self) -> None:
            pass

    monkeypatch.setattr(serving, "Multiprocess", Supervisor)
    config = uvicorn.Config("x:app", host="127.0.0.1", port=0, workers=2)
    serving.serve_workers(config)
    assert started[0].timeout_worker_healthcheck >= 30
