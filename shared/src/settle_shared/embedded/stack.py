"""`settle up`: the whole system on one machine.

Starts the embedded broker, a local SMTP server that keeps mail under var/mail, and every
installed service as its own process with its own SQLite database under var/. It restarts a
service that dies, restarts every service when the broker restarts (consumers of the embedded
broker hang after it comes back), and stops everything in order on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from settle_shared.embedded.broker import start_broker, wait_for_broker
from settle_shared.kafka import catalogue_topics, ensure_topics
from settle_shared.migrations import upgrade
from settle_shared.net import free_port
from settle_shared.service import EmbeddedContext, ServiceSpec, discover_services

READY_TIMEOUT_S = 90.0
STOP_GRACE_S = 10.0


@dataclass
class StackConfig:
    """Where the stack keeps its files and which ports it uses (`settle up`'s options)."""

    var_dir: Path = Path("var")
    host: str = "127.0.0.1"
    kafka_port: int = 9092
    smtp_port: int = 1025
    inbound_smtp_port: int = 2525
    gateway_port: int = 8000
    # 0: every service gets a free port of the system's choosing (tests, crowded machines)
    first_service_port: int = 8001
    partitions: int = 6

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def clock_file(self) -> Path:
        return self.var_dir / "clock.json"


@dataclass
class ChildProcess:
    """One service (or the local mailbox) as a process of the stack, with its log file and
    the times it was restarted."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)
    _log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self.command,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def say(message: str) -> None:
    """A line for the person who started the stack."""
    print(f"settle | {message}", flush=True)


class Stack:
    """The embedded broker, the local mailbox and every service, started and watched over."""

    def __init__(self, config: StackConfig, services: dict[str, ServiceSpec] | None = None):
        self.config = config
        self.config.var_dir = config.var_dir.resolve()
        self.services = services if services is not None else discover_services()
        self.ports = self._assign_ports()
        self.urls = {name: f"http://{config.host}:{port}" for name, port in self.ports.items()}
        self.companions = {c.name: c for spec in self.services.values() for c in spec.companions}
        self.companion_urls = {
            name: f"http://{config.host}:{self._companion_port(companion.default_port)}"
            for name, companion in self.companions.items()
        }
        self.children: dict[str, ChildProcess] = {}
        self.broker: subprocess.Popen[bytes] | None = None
        self._broker_log: IO[bytes] | None = None
        self._stopping = False

    def _assign_ports(self) -> dict[str, int]:
        ports, next_port = {}, self.config.first_service_port
        for name in self.services:
            if name == "gateway":
                ports[name] = self.config.gateway_port
            elif next_port == 0:
                ports[name] = free_port()
            else:
                ports[name] = next_port
                next_port += 1
        return ports

    def _companion_port(self, default_port: int) -> int:
        return free_port() if self.config.first_service_port == 0 else default_port

    def _ready_url(self, name: str) -> str:
        if name in self.companion_urls:
            return f"{self.companion_urls[name]}/health/live"
        return f"{self.urls[name]}/health/ready"

    def embedded_context(self) -> EmbeddedContext:
        """What a service and a companion are told of the stack."""
        return EmbeddedContext(
            var_dir=self.config.var_dir,
            smtp_host=self.config.host,
            smtp_port=self.config.smtp_port,
            inbound_smtp_port=self.config.inbound_smtp_port,
            service_urls=self.urls,
            host=self.config.host,
            companion_urls=self.companion_urls,
        )

    # -- pieces -----------------------------------------------------------------------------

    def database_url(self, name: str) -> str:
        return f"sqlite+aiosqlite:///{self.config.var_dir / (name + '.db')}"

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        settings = {
            "environment": "development",
            "database_url": self.database_url(spec.name),
            "kafka_bootstrap_servers": self.config.bootstrap,
            "kafka_partitions": str(self.config.partitions),
            "http_host": self.config.host,
            "http_port": str(self.ports[spec.name]),
            "clock_file": str(self.config.clock_file),
            # The stack starts no `settle relay`: every service publishes its own outbox.
            "outbox_relay_in_process": "true",
        }
        if spec.embedded_settings is not None:
            settings.update(spec.embedded_settings(self.embedded_context()))
        env = dict(os.environ)
        env.update({f"{spec.env_prefix}{key}".upper(): value for key, value in settings.items()})
        return env

    def migrate(self) -> None:
        for name, spec in self.services.items():
            upgrade(spec.migrations_dir, self.database_url(name))
        say(f"databases migrated under {self.config.var_dir}")

    async def start_broker(self) -> None:
        log_path = self.config.var_dir / "log" / "broker.log"
        self._broker_log = log_path.open("ab")
        self.broker = start_broker(self.config.kafka_port, self._broker_log)
        await asyncio.sleep(0.3)
        if self.broker.poll() is not None:
            # Otherwise we might happily talk to whatever else listens on that port.
            raise RuntimeError(
                f"the broker could not start on port {self.config.kafka_port} (in use?); "
                f"see {log_path}"
            )
        cluster = await wait_for_broker(self.config.bootstrap)
        created = await ensure_topics(
            self.config.bootstrap, catalogue_topics(), partitions=self.config.partitions
        )
        say(f"broker ready on {self.config.bootstrap} (cluster {cluster}, {len(created)} topics)")

    def start_mailbox(self) -> None:
        child = ChildProcess(
            name="mailbox",
            command=[
                sys.executable,
                "-m",
                "settle_shared.embedded.mailbox",
                "--host",
                self.config.host,
                "--port",
                str(self.config.smtp_port),
                "--dir",
                str(self.config.var_dir / "mail"),
            ],
            env=dict(os.environ),
            log_path=self.config.var_dir / "log" / "mailbox.log",
        )
        child.start()
        self.children["mailbox"] = child

    def start_companions(self) -> None:
        """The services' companions (e.g. the local PSP), each a process with its log file."""
        context = self.embedded_context()
        for name, companion in self.companions.items():
            port = int(self.companion_urls[name].rsplit(":", 1)[1])
            child = ChildProcess(
                name=name,
                command=[sys.executable, *companion.arguments(context, port)],
                env=dict(os.environ),
                log_path=self.config.var_dir / "log" / f"{name}.log",
            )
            child.start()
            self.children[name] = child

    def start_service(self, spec: ServiceSpec) -> None:
        child = self.children.get(spec.name) or ChildProcess(
            name=spec.name,
            command=[sys.executable, "-m", "settle_shared.cli.main", "serve", spec.name],
            env=self.service_env(spec),
            log_path=self.config.var_dir / "log" / f"{spec.name}.log",
        )
        child.start()
        self.children[spec.name] = child

    async def wait_ready(self, names: list[str], timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        pending = set(names)
        async with httpx.AsyncClient(timeout=2.0) as client:
            while pending and time.monotonic() < deadline:
                for name in sorted(pending):
                    if not self.children[name].running():
                        self.revive(self.children[name])
                        continue
                    try:
                        response = await client.get(self._ready_url(name))
                        if response.status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                if pending:
                    await asyncio.sleep(0.3)
        if pending:
            raise TimeoutError(
                f"not ready after {timeout_s:.0f} s: {', '.join(sorted(pending))} "
                f"(see {self.config.var_dir / 'log'})"
            )

    # -- lifecycle --------------------------------------------------------------------------

    async def up(self) -> None:
        started = time.monotonic()
        for sub in ("mail", "log", "inbox"):
            (self.config.var_dir / sub).mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.migrate)
        await self.start_broker()
        self.start_mailbox()
        self.start_companions()
        await self.wait_ready(list(self.companions))
        for spec in self.services.values():
            self.start_service(spec)
        await self.wait_ready(list(self.services))
        self.print_summary(time.monotonic() - started)

    def print_summary(self, seconds: float) -> None:
        say(f"ready in {seconds:.1f} s")
        for name in self.services:
            say(f"  {name:<11} {self.urls[name]}   (log: {self.config.var_dir / 'log' / name}.log)")
        say(f"  {'kafka':<11} {self.config.bootstrap}   (embedded, memory only)")
        say(
            f"  {'smtp':<11} {self.config.host}:{self.config.smtp_port}   "
            f"(every mail kept under {self.config.var_dir / 'mail'})"
        )
        for name, companion in self.companions.items():
            say(f"  {name:<11} {self.companion_urls[name]}   ({companion.description})")
        say(f"  data        {self.config.var_dir}")
        login = self.config.var_dir / "demo-login.json"
        if login.exists():  # written by the gateway when it seeds the demo organisation
            demo = json.loads(login.read_text())
            say(
                f"  login       {demo['email']} / {demo['password']}   "
                f"(administration {demo['administration_id']})"
            )
        say("Ctrl-C stops everything.")

    async def supervise(self) -> None:
        """Keep everything running until asked to stop."""
        while not self._stopping:
            await asyncio.sleep(1.0)
            if self._stopping:
                return
            if self.broker is not None and self.broker.poll() is not None:
                say("broker stopped; restarting it and every service with it")
                for name in self.services:
                    self.children[name].stop()
                await self.start_broker()
                for spec in self.services.values():
                    self.start_service(spec)
                continue
            for child in list(self.children.values()):
                if not child.running():
                    self.revive(child)

    def revive(self, child: ChildProcess) -> None:
        """Restart a piece that exited, unless it keeps failing."""
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < 60] + [now]
        if len(child.restarts) > 5:
            raise RuntimeError(f"{child.name} keeps failing; see {child.log_path}")
        code = child.process.returncode if child.process else None
        say(f"{child.name} exited (code {code}); restarting (see {child.log_path})")
        child.stop()
        child.start()

    def down(self) -> None:
        self._stopping = True
        for name in reversed(list(self.children)):
            self.children[name].stop()
        if self.broker is not None and self.broker.poll() is None:
            self.broker.terminate()
            try:
                self.broker.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.broker.kill()
        if self._broker_log is not None:
            self._broker_log.close()
        say("stopped; data kept under " + str(self.config.var_dir))

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            up = asyncio.create_task(self.up())
            done, _ = await asyncio.wait(
                [up, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
            )
            if up in done:
                up.result()
                watch = asyncio.create_task(self.supervise())
                await asyncio.wait(
                    [watch, asyncio.create_task(stop.wait())],
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if watch.done():
                    watch.result()
                watch.cancel()
            else:
                up.cancel()
        finally:
            self.down()
