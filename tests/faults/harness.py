"""The real services as processes on the embedded stack, with the hands to hurt them.

The pieces are started the way `settle up` starts them (its `Stack` builds every command and
environment), but this harness is their supervisor: it SIGKILLs a service's process group and
starts it again, kills the broker (memory only: the next one is a new, empty cluster) and
restarts every service with it as `settle up` does, stops the SMTP server for a while, and
on PostgreSQL may restart the machine's PostgreSQL cluster. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

from settle_shared.embedded.stack import Stack, StackConfig
from settle_shared.net import free_port

SERVICES = ("importer", "dunning", "messaging", "gateway")
POSTGRES_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
READY_AFTER_FAULT_S = 90.0

# Settings the harness gives the services through the environment (`settle up` passes the
# shell's variables on and sets only its own). A message refused by a stopped SMTP server is
# retried after 5, 10, 20 s ... up to SMTP_RETRY_MAX_S: capped so that the run drains within
# the test's time after the server is back.
SERVICE_ENV = {
    "SETTLE_MESSAGING_SMTP_RETRY_INITIAL_S": "2",
    "SETTLE_MESSAGING_SMTP_RETRY_MAX_S": "15",
    "SETTLE_MESSAGING_SMTP_TIMEOUT_S": "10",
    # Giving up on a message is measured on the business clock, which the load moves a day
    # every few seconds: with the default 72 h a 20 s outage over a weekend fails the mail
    # for good ("gave_up"). A year keeps the outage as short as it really is.
    "SETTLE_MESSAGING_SMTP_GIVE_UP_AFTER_H": "8760",
    # The drop folder looked at twice a second rather than every 2 s: more days per minute.
    "SETTLE_IMPORTER_INBOX_POLL_S": "0.5",
}


def say(message: str) -> None:
    print(f"faults | {time.strftime('%H:%M:%S')} {message}", flush=True)


class FaultStack(Stack):
    """`settle up`'s pieces, each a process of its own, under this harness's supervision."""

    def __init__(self, var: Path, *, postgres: bool = False) -> None:
        config = StackConfig(
            var_dir=var,
            kafka_port=free_port(),
            smtp_port=free_port(),
            inbound_smtp_port=free_port(),
            gateway_port=free_port(),
            first_service_port=0,
        )
        super().__init__(config)
        missing = set(SERVICES) - set(self.services)
        assert not missing, f"services not installed: {missing}"
        self.postgres = postgres
        self.database_prefix = f"settle_faults_{uuid.uuid4().hex[:8]}"
        self.lock = threading.RLock()  # one fault at a time; the checks wait for it
        self.faults: list[str] = []
        self.crashes: list[str] = []  # pieces that exited without being killed

    # -- where things are ---------------------------------------------------------------

    @property
    def var(self) -> Path:
        return self.config.var_dir

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    def database_url(self, name: str) -> str:
        if self.postgres:
            return f"{POSTGRES_SERVER}/{self.database_prefix}_{name}"
        return super().database_url(name)

    def service_env(self, spec):  # type: ignore[no-untyped-def]
        env = super().service_env(spec)
        for key, value in SERVICE_ENV.items():
            env.setdefault(key, value)
        return env

    # -- life -----------------------------------------------------------------------------

    def start(self) -> None:
        if self.postgres:
            for name in self.services:
                psql(f'CREATE DATABASE "{self.database_prefix}_{name}"')
        asyncio.run(self.up())

    def stop(self) -> None:
        with self.lock:
            self.down()
            if self.postgres:
                for name in self.services:
                    psql(f'DROP DATABASE IF EXISTS "{self.database_prefix}_{name}" WITH (FORCE)')

    def pid(self, name: str) -> int:
        process = self.children[name].process
        assert process is not None
        return process.pid

    def _kill_group(self, process: subprocess.Popen[bytes] | None) -> None:
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the process and its children
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def wait_all_ready(self, names: list[str] | None = None) -> None:
        asyncio.run(self.wait_ready(names or list(self.services), timeout_s=READY_AFTER_FAULT_S))

    def revive_dead(self) -> None:
        """What `settle up`'s supervisor does each second: start again what died."""
        with self.lock:
            for name, child in self.children.items():
                if not child.running() and not (name == "mailbox" and self._smtp_down):
                    code = child.process.returncode if child.process else None
                    self.crashes.append(f"{name} exited by itself (code {code})")
                    say(f"{name} exited by itself (code {code}); restarting it")
                    child.stop()
                    child.start()

    _smtp_down = False

    # -- faults ---------------------------------------------------------------------------

    def kill_service(self, name: str, down_s: float = 0.5, when: str = "") -> None:
        with self.lock:
            child = self.children[name]
            pid = self.pid(name)
            self._kill_group(child.process)
            what = f"SIGKILL {name} (pid {pid}){' ' + when if when else ''}"
            self.faults.append(what)
            say(f"{what}; restarting it")
            time.sleep(down_s)
            child.stop()
            child.start()
            self.wait_all_ready([name])
            say(f"{name} ready again (pid {self.pid(name)})")

    def restart_broker(self) -> None:
        """Kill the broker; start a new (empty) one and every service with it, as `settle up`."""
        with self.lock:
            old = self.broker.pid if self.broker else None
            self._kill_group(self.broker)
            if self._broker_log is not None:
                self._broker_log.close()
            self.faults.append(f"SIGKILL broker (pid {old}); new cluster")
            say(f"SIGKILL broker (pid {old}); a new cluster and every service restarted")
            for name in self.services:
                self.children[name].stop()
            asyncio.run(self.start_broker())
            for spec in self.services.values():
                self.start_service(spec)
            self.wait_all_ready()
            say("broker and services ready again")

    def stop_smtp(self) -> None:
        with self.lock:
            child = self.children["mailbox"]
            self._kill_group(child.process)
            child.stop()
            self._smtp_down = True
            self.faults.append("SMTP server stopped")
            say("SMTP server stopped")

    def start_smtp(self) -> None:
        with self.lock:
            self._smtp_down = False
            self.children["mailbox"].start()
            self.faults.append("SMTP server started again")
            say("SMTP server started again")

    def restart_postgres(self) -> None:
        """`pg_ctlcluster <version> main restart`: only when asked (soak, --restart-postgres)."""
        assert self.postgres
        with self.lock:
            version = postgres_version()
            self.faults.append(f"PostgreSQL {version} main restarted")
            say(f"pg_ctlcluster {version} main restart")
            subprocess.run(["pg_ctlcluster", version, "main", "restart"], check=True, timeout=120)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if (
                    subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode
                    == 0
                ):
                    break
                time.sleep(0.5)
            # Services that died on the lost connections are started again.
            time.sleep(2)
            self.revive_dead()
            self.wait_all_ready()

    def log_lines(self) -> dict[str, list[str]]:
        logs = {}
        for path in sorted((self.var / "log").glob("*.log")):
            logs[path.stem] = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return logs


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


def postgres_available() -> bool:
    try:
        psql("SELECT 1")
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def postgres_version() -> str:
    out = subprocess.run(
        ["pg_lsclusters", "--no-header"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "main" and parts[2] == "5432":
            return parts[0]
    match = re.search(r"^(\d+)\s+main", out, re.M)
    if not match:
        raise RuntimeError(f"no main cluster in pg_lsclusters:\n{out}")
    return match.group(1)
