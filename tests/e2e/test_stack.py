"""The embedded stack as a user starts it: `settle up`, health through HTTP, Ctrl-C, again."""

import json
import sqlite3

import httpx
import pytest

from settle_shared.service import discover_services
from settle_shared.testing.infra import port_open

from .conftest import Stack, stack_ports

pytestmark = pytest.mark.e2e


def test_the_stack_starts_answers_stops_cleanly_and_keeps_its_data(tmp_path):
    ports = stack_ports()
    var = tmp_path / "var"
    stack = Stack(var, ports)
    seconds = stack.wait_ready()
    print(f"stack ready in {seconds:.1f} s")
    ready = httpx.get(f"http://127.0.0.1:{ports['gateway']}/health/ready", timeout=5)
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert {"database", "broker"} <= set(checks) and set(checks.values()) == {"ok"}
    assert " login " in stack.output, "the demo login was not printed"
    for name in discover_services():
        assert (var / f"{name}.db").exists(), f"{name} has no database under var/"
    assert port_open("127.0.0.1", ports["smtp"]), "the local SMTP server is not listening"
    for name in discover_services():
        # The summary names the log files where they are, under the --var given.
        assert f"(log: {var / 'log' / name}.log)" in stack.output

    output = stack.stop()
    assert "stopped; data kept" in output
    for name in discover_services():
        # Every service log is JSON lines: no colour codes, no line of another shape, and
        # no warning about topics the stack made itself.
        lines = (var / "log" / f"{name}.log").read_text().splitlines()
        assert lines, f"{name}.log is empty"
        records = [json.loads(line) for line in lines]
        assert all(record["service"] == name for record in records)
        assert not [r for r in records if "Auto create topics" in r["event"]]
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
