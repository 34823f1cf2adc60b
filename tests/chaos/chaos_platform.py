"""A platform of its own for the chaos suite: its own Kafka broker, its own PostgreSQL server and
the four services as processes of `deploy/local/services.sh`, on ports of its test slot
(`chaos_port`: 19100-19199 on slot 0) and in a folder of its own, so that killing any of them
disturbs nobody (not `make up`'s platform, not the test slots on the machine's shared broker and
server). Keycloak is the machine's, shared, as in every test.

The API is what a fault needs: `start()`, `kill(service)` and `start_services()` (services.sh
restarts what is not running), `stop_broker()`/`start_broker()`, `restart_postgres()`, `ready()`,
`stop()`; `env` runs any other process (the simulator, `ksd audit`) against it.

Why a module of its own and not the `platform` fixture of tests/conftest.py: that one shares the
machine's broker and server with every other test slot, which the faults here must not touch.
(Named chaos_platform, not platform: tests/chaos is on sys.path, and `platform` is the standard
library's.)"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from conftest import SLOT

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), default=Path("/nonexistent"))
"""Debian's newest PostgreSQL server binaries (deploy/local/postgres.sh installs the package)."""
SERVICES = ("intake", "agreement", "mapping", "reporting")


SLOT_PORTS = 134
"""How many ports a slot's chaos platforms may take: on slot 0, 19100-19199 for the fault suite's
platform and 19200-19233 for the scale-out cluster (test_scale_out.py)."""


WORKERS_BASE = 18081 - 10 * SLOT_PORTS
"""Where slot 0's xdist workers' ranges begin (16741): the ten ranges just below the test services'
ports (18081 + 10·slot, tests/conftest.py)."""


def chaos_port(port: int) -> int:
    """`port` as slot 0 numbers it, in this test slot's own range: slot S's range is `SLOT_PORTS`·S
    above slot 0's (slot 8: 20172-20305; slot 99 ends at 32499), so two work trees or two xdist
    workers, each on a slot of its own, can run the chaos suite at once. Slot 0's workers (slots
    100-109) take the ranges from `WORKERS_BASE` instead: 134·S above slot 0's would be the kernel's
    ephemeral ports (32768 on), which any client's connection may hold (slot 102's reporting found
    32852 taken, 29 November)."""
    if SLOT >= 100:
        return WORKERS_BASE + SLOT_PORTS * (SLOT - 100) + port - 19100
    return port + SLOT_PORTS * SLOT


@dataclass(frozen=True)
class Ports:
    """Every port the chaos platform listens on, all in this slot's range (`chaos_port`)."""

    postgres: int = chaos_port(19132)
    kafka: int = chaos_port(19192)
    controller: int = chaos_port(19193)
    services: dict[str, int] = field(
        default_factory=lambda: {s: chaos_port(19181 + i) for i, s in enumerate(SERVICES)})


def _answering(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, text=True)


class ChaosPlatform:
    """The platform in `folder` (a new temporary one by default, removed by `stop()`)."""

    def __init__(self, folder: Path | None = None, ports: Ports | None = None) -> None:
        self.folder = folder or Path(tempfile.mkdtemp(prefix="ksd-chaos-"))
        self.ports = ports or Ports()
        self.pgdata = self.folder / "postgres"
        self.run_dir, self.logs = self.folder / "run", self.folder / "logs"
        self.url = {s: f"http://127.0.0.1:{p}" for s, p in self.ports.services.items()}
        self.bootstrap = f"127.0.0.1:{self.ports.kafka}"
        self.pg_dsn = f"postgresql://ksd:ksd@127.0.0.1:{self.ports.postgres}"

    @property
    def env(self) -> dict[str, str]:
        """The environment of every process run against this platform (INTERFACES.md's KSD_*
        variables): its broker, server, ports and folders; the `ksd` command's principal."""
        env = {k: v for k, v in os.environ.items() if k not in ("KSD_DB_SUFFIX", "KSD_GROUP_PREFIX", "KSD_TRACES_FILE")}
        env.update({f"KSD_{s.upper()}_PORT": str(p) for s, p in self.ports.services.items()})
        env.update({
            "KSD_KAFKA_BOOTSTRAP": self.bootstrap, "KSD_KAFKA_PORT": str(self.ports.kafka),
            "KSD_KAFKA_CONTROLLER_PORT": str(self.ports.controller), "KSD_KAFKA_DATA": str(self.folder / "kafka"),
            "KSD_PG_DSN": self.pg_dsn, "KSD_RUN_DIR": str(self.run_dir), "KSD_LOG_DIR": str(self.logs),
            "KSD_KAFKA_USER": "ksd_admin",
            # A broker that lives minutes and is restarted: C2's compiles cost more CPU than they
            # pay back in its life (kafka.sh), CPU the suite's other workers need.
            "KSD_KAFKA_JAVA_OPTS": "-XX:TieredStopAtLevel=1",
            # As in the test suite: no hourly tick expiring simulated agreements, no reminder mail.
            "KSD_AGREEMENT_SCHEDULE_SECONDS": str(7 * 24 * 3600), "KSD_REMINDER_SCHEDULE_SECONDS": "0",
        })
        return env

    def _run(self, *command: str, timeout: float = 300) -> str:
        done = subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n"
                               f"{done.stderr[-3000:]}")
        return done.stdout

    # --- the whole platform ------------------------------------------------------------------------
    def start(self) -> None:
        """PostgreSQL, the broker, the platform's roles, databases, topics and ACLs, the services."""
        self.start_postgres()
        self.start_broker()
        self._run(str(ROOT / ".venv/bin/python"), "-m", "ksd_common.access", "setup")
        self.start_services()

    def stop(self) -> None:
        """Everything stopped at once and the folder removed (each step even when an earlier one
        failed): nothing of this platform is kept, so nothing is given a graceful shutdown (the
        services' and the broker's took up to a minute under `make test`'s load)."""
        steps: list[Callable[[], object]] = [
            *(partial(self.kill, s) for s in SERVICES),
            lambda: self._run(str(ROOT / "deploy/local/kafka.sh"), "kill", "1"),
            lambda: self._pg_ctl("stop", "-m", "immediate")]
        for step in steps:
            try:
                step()
            except Exception as error:  # the rest must still stop
                print(f"chaos platform: stopping: {error}")
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- PostgreSQL: a server of its own, initdb into the folder -----------------------------------
    def start_postgres(self) -> None:
        if not (self.pgdata / "PG_VERSION").exists():
            self.folder.chmod(0o755)
            self.pgdata.mkdir()
            shutil.chown(self.pgdata, "postgres", "postgres")
            _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                         "--no-sync")
            with (self.pgdata / "postgresql.conf").open("a") as conf:
                conf.write(f"port = {self.ports.postgres}\nlisten_addresses = '127.0.0.1'\n"
                           f"unix_socket_directories = '{self.pgdata}'\nmax_connections = 200\n"
                           "fsync = off\nshared_buffers = 64MB\n")
            self._pg_ctl("start")
            _as_postgres(str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.ports.postgres), "-U", "postgres",
                         "-q", "-c", "CREATE ROLE ksd LOGIN PASSWORD 'ksd' CREATEDB CREATEROLE")
        else:
            self._pg_ctl("start")

    def _pg_ctl(self, *args: str) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.pgdata / "server.log"),
                         "-w", "-t", "60", *args)

    def restart_postgres(self) -> None:
        """As a crash would: stopped at once (`immediate`: no checkpoint, every connection cut),
        started again, recovering from its WAL."""
        self._pg_ctl("restart", "-m", "immediate")

    # --- Kafka: deploy/local/kafka.sh on the folder's own storage ----------------------------------
    def start_broker(self, timeout: float = 300) -> None:
        """kafka.sh start; a broker slower than kafka.sh's own minute (recovering its logs on a
        loaded machine) is waited for until it answers on its port, up to `timeout`."""
        try:
            self._run(str(ROOT / "deploy/local/kafka.sh"), "start")
        except RuntimeError:
            if not (self.folder / "kafka/kafka.pid").exists():
                raise
        deadline = time.monotonic() + timeout
        while not _answering(self.ports.kafka):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the broker did not answer within {timeout} s: see {self.folder / 'kafka/logs'}")
            time.sleep(0.5)

    def stop_broker(self) -> None:
        self._run(str(ROOT / "deploy/local/kafka.sh"), "stop")

    # --- the services: deploy/local/services.sh, pid files in the folder ---------------------------
    def start_services(self) -> None:
        """Start every service that is not running, and wait until all are ready."""
        self._run(str(ROOT / "deploy/local/services.sh"), "start")

    def pid(self, service: str) -> int:
        return int((self.run_dir / f"{service}.pid").read_text())

    def kill(self, service: str) -> None:
        """SIGKILL: no shutdown of any kind, as when a machine loses power."""
        pid = self.pid(service)
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):  # services.sh restarts only what is no longer running
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def ready(self, service: str) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url[service]}/readyz", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def wait_ready(self, timeout: float = 180) -> None:
        """Until every service answers /readyz (database and broker reached, relay draining)."""
        deadline = time.monotonic() + timeout
        while not all(self.ready(s) for s in SERVICES):
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every service ready after {timeout} s: see {self.logs}")
            time.sleep(0.25)
