"""The embedded stack started as a user starts it (`settle up`), for the end-to-end tests."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from settle_shared.testing.infra import free_port

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


def stack_ports() -> dict[str, int]:
    return {
        "gateway": free_port(),
        "services": 0,  # each service a free port of the system's choosing
        "kafka": free_port(),
        "smtp": free_port(),
        "inbound": free_port(),
    }


def service_url(stack: Stack, name: str) -> str:
    """A service's address, as the stack printed it."""
    for line in stack.output.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == name and parts[3].startswith("http://"):
            return parts[3]
    raise LookupError(f"{name} not in the stack's summary:\n{stack.output}")
