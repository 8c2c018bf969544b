"""The embedded stack as a user starts it: `settle up`, health through HTTP, Ctrl-C, again."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from settle_shared.service import discover_services
from settle_shared.testing.infra import free_port, port_open

pytestmark = pytest.mark.e2e

READY_WITHIN_S = 90


class Stack:
    """`settle up` in its own process, its output collected line by line."""

    def __init__(self, var: Path, ports: dict[str, int]) -> None:
        self.process = start_stack(var, ports)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self, timeout_s: float = READY_WITHIN_S) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if "ready in" in self.output:
                return time.monotonic() - started
            assert self.process.poll() is None, self.output
            time.sleep(0.2)
        self.process.kill()
        pytest.fail(f"not ready within {timeout_s} s:\n{self.output}")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert self.process.wait(timeout=60) == 0, self.output
        self._reader.join(timeout=5)
        return self.output


def start_stack(var: Path, ports: dict[str, int]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "settle_shared.cli.main",
            "up",
            "--var",
            str(var),
            "--gateway-port",
            str(ports["gateway"]),
            "--first-service-port",
            str(ports["services"]),
            "--kafka-port",
            str(ports["kafka"]),
            "--smtp-port",
            str(ports["smtp"]),
            "--inbound-smtp-port",
            str(ports["inbound"]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_the_stack_starts_answers_stops_cleanly_and_keeps_its_data(tmp_path):
    ports = {
        "gateway": free_port(),
        "services": 0,  # each service a free port of the system's choosing
        "kafka": free_port(),
        "smtp": free_port(),
        "inbound": free_port(),
    }
    var = tmp_path / "var"
    stack = Stack(var, ports)
    seconds = stack.wait_ready()
    print(f"stack ready in {seconds:.1f} s")
    ready = httpx.get(f"http://127.0.0.1:{ports['gateway']}/health/ready", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    for name in discover_services():
        assert (var / f"{name}.db").exists(), f"{name} has no database under var/"
    assert port_open("127.0.0.1", ports["smtp"]), "the local SMTP server is not listening"

    output = stack.stop()
    assert "stopped; data kept" in output
    for port in ports.values():
        if port:
            assert not port_open("127.0.0.1", port), f"something still listens on {port}"

    # Data survives: mark the gateway's database, start again, find the mark.
    with sqlite3.connect(var / "gateway.db") as db:
        db.execute("CREATE TABLE IF NOT EXISTS restart_probe (note TEXT)")
        db.execute("INSERT INTO restart_probe VALUES ('kept')")
    again = Stack(var, ports)
    again.wait_ready()
    again.stop()
    with sqlite3.connect(var / "gateway.db") as db:
        assert db.execute("SELECT note FROM restart_probe").fetchall() == [("kept",)]
