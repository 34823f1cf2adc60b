"""The platform under test: the four services as real processes, on the real Kafka broker and
PostgreSQL that `make test` starts, with their own databases (ksd_*_test) and consumer groups so
that a live platform beside them is left alone."""

from __future__ import annotations

import os


def _slot() -> int:
    """This run's slot. Under `pytest -n N` (pytest-xdist) each worker is a run of its own with its
    own platform, so worker `gwI` of slot S takes slot 10*S + I (slot 0's workers: 100 + I, so that
    they stay clear of the slots 1-9 other work trees use); at most ten workers a slot."""
    base = int(os.environ.get("KSD_TEST_SLOT", "0"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", ...: set before conftest is imported
    if worker is None:
        return base
    index = int(worker.removeprefix("gw"))
    if index >= 10:
        raise RuntimeError(f"worker {worker}: at most ten workers (-n 10) share a slot's range of slots")
    return 10 * (base or 10) + index


SLOT = _slot()
"""Two test runs on one machine (say, two work trees) take different slots: their own ports,
databases, consumer groups and topics, on the same Kafka and PostgreSQL."""
os.environ["KSD_TOPIC_PREFIX"] = f"test{SLOT}."  # before ksd_contracts.topics is imported
# The tests' own Kafka clients (tails, forged records, the slot's topics) are the setup user's; the
# services are their own principals, and the `ksd` command run by `ksd()` is `ksd_admin`.
os.environ["KSD_KAFKA_USER"] = "ksd_setup"

import asyncio
import hashlib
import html
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import requests
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from ksd_common.access import ensure_roles, setup_kafka
from ksd_common.db import recreate_database
from ksd_common.settings import Settings
from ksd_contracts.topics import NAMESPACE, all_topics
from ksd_tools.admin import issue_tokens, wait_until_known

# Property tests run beside the four services, Kafka and PostgreSQL on two cores: an example's time
# says nothing about the code, so neither a per-example deadline nor a slow generator fails a test.
hypothesis_settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("shared-machine")

LONG_FIRST = ("tests/chaos/", "tests/fuzz/")
"""Files handed out first: the short chaos test (two and a half minutes, most of it its own
platform's start, faults and restarts under a light load) and the fuzz tests (one to one and a half
minutes each of drawing cases)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long files first, each file's tests kept together and in order. `make test`'s workers take
    files in this order (`--dist loadfile --no-loadscope-reorder`): xdist's own order, the files with
    the most tests first, left the chaos test to run alone at the end with a core idle (the last
    four of eight and a half minutes on 29 November)."""
    items.sort(key=lambda item: next((i for i, p in enumerate(LONG_FIRST) if item.nodeid.startswith(p)),
                                     len(LONG_FIRST)))


SERVICES = ("intake", "agreement", "mapping", "reporting")
TEST_PORTS = {s: 18081 + i + 10 * SLOT for i, s in enumerate(SERVICES)}
SUFFIX = f"_test{SLOT or ''}"
GROUP_PREFIX = f"ksd-test{SLOT or ''}"


KEYCLOAK = os.environ.get("KSD_KEYCLOAK_URL", "http://127.0.0.1:8180")
"""The identity provider `make test` starts (deploy/local/keycloak.sh), shared by every slot: the
tests' accounts have names of their own."""


KEYCLOAK_LOGS = Path(__file__).resolve().parents[1] / ".data" / "keycloak" / "logs"
"""deploy/local/keycloak.sh's logs: its start's (start.log) and the server's (keycloak.log)."""


def _launch_ended() -> bool:
    """Whether the background start `make infra` launched (`keycloak.sh launch`) has ended: after
    that, a realm that does not answer will not."""
    launcher = KEYCLOAK_LOGS.parent / "launch.pid"
    try:
        os.kill(int(launcher.read_text()), 0)
    except (OSError, ValueError):
        return launcher.exists()
    return False


@dataclass(frozen=True)
class Account:
    """A person or a machine client of the realm `ksd`, made by a test: its name and its token."""

    kind: str  # "person" or "machine"
    name: str  # username or client id
    id: str  # Keycloak's id of the user or the client
    token: str
    password: str = ""  # a person's, to sign in through Keycloak's login page (tests/browser/test_workspace.py)

    @property
    def actor(self) -> str:
        """How the platform records who acted with it."""
        return f"{self.kind}:{self.name}"


class Keycloak:
    """The realm's accounts as a region administrator would make them, through Keycloak's admin API
    (the bootstrap administrator of keycloak.sh); persons sign in with the direct grant of
    `ksd-workspace`, machines with the client-credentials grant."""

    def __init__(self) -> None:
        self.admin = os.environ.get("KSD_KEYCLOAK_ADMIN", "admin")
        self.password = os.environ.get("KSD_KEYCLOAK_ADMIN_PASSWORD", "admin")
        self.made: list[tuple[str, str]] = []
        self.accounts: list[Account] = []
        self._admin_token = ("", 0.0)  # the administrator's access token and when to take a new one
        self._ready = False

    async def ready(self) -> None:
        """Wait until the realm answers. `make test` does not wait for Keycloak before the suite
        starts (on a fresh machine its first start, the realm's schema made and imported, takes a
        minute): the tests that use it wait here, the first one of each worker."""
        if self._ready:
            return
        deadline = time.monotonic() + 600
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                try:
                    if (await client.get(f"{KEYCLOAK}/realms/ksd")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if _launch_ended() or time.monotonic() > deadline:  # a start that ended without it, or none
                    start_log = KEYCLOAK_LOGS / "start.log"
                    said = start_log.read_text()[-2000:] if start_log.exists() else ""
                    raise RuntimeError(f"Keycloak's realm ksd does not answer at {KEYCLOAK}: see "
                                       f"{KEYCLOAK_LOGS}\n{said}")
                await asyncio.sleep(0.5)
        self._ready = True

    async def _headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """The administrator's bearer, reused while it is valid: each new one is a password grant,
        which Keycloak pays with a password hash (~50 ms of its CPU), and making one account takes
        five admin calls."""
        await self.ready()
        token, renew_at = self._admin_token
        if time.monotonic() >= renew_at:
            response = await client.post(f"{KEYCLOAK}/realms/master/protocol/openid-connect/token", data={
                "grant_type": "password", "client_id": "admin-cli", "username": self.admin, "password": self.password})
            response.raise_for_status()
            answer = response.json()
            token = answer["access_token"]
            self._admin_token = (token, time.monotonic() + answer["expires_in"] / 2)
        return {"Authorization": f"Bearer {token}"}

    async def _admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.request(method, f"{KEYCLOAK}/admin/realms/ksd{path}",
                                            headers=await self._headers(client), **kwargs)
        response.raise_for_status()
        return response

    async def _roles(self, role: str) -> list[dict[str, Any]]:
        return [(await self._admin("GET", f"/roles/{role}")).json()]

    async def person(self, role: str, region: str | None) -> Account:
        """A new operator of `role` for `region`, signed in: their access token."""
        name, password = f"op-{SLOT}-{uuid4().hex[:10]}", uuid4().hex
        await self._admin("POST", "/users", json={
            "username": name, "enabled": True, "firstName": "Operator", "lastName": "Uji", "emailVerified": True,
            "email": f"{name}@uji.ksd.go.id", "attributes": {"region": [region]} if region else {},
            "credentials": [{"type": "password", "value": password, "temporary": False}]})
        [user] = (await self._admin("GET", "/users", params={"username": name, "exact": "true"})).json()
        self.made.append(("users", user["id"]))
        await self._admin("POST", f"/users/{user['id']}/role-mappings/realm", json=await self._roles(role))
        token = await self.sign_in(name, password)
        self.accounts.append(Account("person", name, user["id"], token, password))
        return self.accounts[-1]

    async def machine(self, role: str, region: str | None) -> Account:
        """A new region system (like SIKERJA) on the client-credentials grant: its access token."""
        name, secret = f"sistem-{SLOT}-{uuid4().hex[:10]}", uuid4().hex
        mappers = [{"name": "ksd-audience", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                    "config": {"included.custom.audience": "ksd-platform", "access.token.claim": "true",
                               "introspection.token.claim": "true"}}]
        if region:
            mappers.append({"name": "region", "protocol": "openid-connect",
                            "protocolMapper": "oidc-hardcoded-claim-mapper",
                            "config": {"claim.name": "region", "claim.value": region, "jsonType.label": "String",
                                       "access.token.claim": "true", "introspection.token.claim": "true"}})
        await self._admin("POST", "/clients", json={
            "clientId": name, "enabled": True, "publicClient": False, "secret": secret, "standardFlowEnabled": False,
            "serviceAccountsEnabled": True, "protocolMappers": mappers})
        [found] = (await self._admin("GET", "/clients", params={"clientId": name})).json()
        self.made.append(("clients", found["id"]))
        user = (await self._admin("GET", f"/clients/{found['id']}/service-account-user")).json()
        await self._admin("POST", f"/users/{user['id']}/role-mappings/realm", json=await self._roles(role))
        token = await self._grant({"grant_type": "client_credentials", "client_id": name, "client_secret": secret})
        self.accounts.append(Account("machine", name, found["id"], token))
        return self.accounts[-1]

    async def sign_in(self, username: str, password: str) -> str:
        """A person's access token, as the command line gets it (the direct grant of `ksd-workspace`)."""
        return await self._grant({"grant_type": "password", "client_id": "ksd-workspace", "username": username,
                                  "password": password})

    async def _grant(self, form: dict[str, str]) -> str:
        await self.ready()
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(f"{KEYCLOAK}/realms/ksd/protocol/openid-connect/token", data=form)
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    async def find(self, username: str) -> str:
        """Keycloak's id of a user made through the platform, so the run deletes it at its end."""
        [user] = (await self._admin("GET", "/users", params={"username": username, "exact": "true"})).json()
        self.made.append(("users", user["id"]))
        return str(user["id"])

    async def revoke(self, account: Account) -> None:
        """End a person's sessions, or disable a machine client: what an administrator does to stop it."""
        if account.kind == "person":
            await self._admin("POST", f"/users/{account.id}/logout")
        else:
            client = (await self._admin("GET", f"/clients/{account.id}")).json()
            await self._admin("PUT", f"/clients/{account.id}", json=client | {"enabled": False})

    async def forget(self) -> None:
        """Delete the accounts this run made."""
        for kind, id in self.made:
            await self._admin("DELETE", f"/{kind}/{id}")
        self.made.clear()


WORKSPACE = "/ruang-kerja"
SESSION = "ksd_sesi"
"""The regions' workspace on intake, and its session cookie (ksd_intake.workspace)."""


class Platform:
    """Addresses of the running services, and ways to act as their users."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.traces = folder / "traces.jsonl"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.url = {s: f"http://127.0.0.1:{p}" for s, p in TEST_PORTS.items()}
        self.settings = Settings()
        self.keycloak = Keycloak()

    async def token(self, role: str, region: str | None = None) -> str:
        """A new token, once intake and reporting both know it."""
        [token] = await issue_tokens([(role, region, "test")])
        await wait_until_known(f"{self.url['intake']}/v1/submissions/{UUID(int=0)}", token)
        await wait_until_known(f"{self.url['reporting']}/v1/summary", token)
        return token

    async def bearer(self, kind: str, role: str, region: str | None = None) -> tuple[str, str]:
        """(token, who acted with it) of a new caller of `kind`: a platform token, or a person or a
        machine of Keycloak."""
        if kind == "platform":
            token = await self.token(role, region)
            return token, f"token:{hashlib.sha256(token.encode()).hexdigest()[:12]}"
        account = await (self.keycloak.person if kind == "person" else self.keycloak.machine)(role, region)
        return account.token, account.actor

    async def workspace_login(self, client: httpx.AsyncClient, account: Account) -> str:
        """Where Keycloak sends the person back with the code, after the workspace's *Masuk* and
        Keycloak's login form (`client` keeps the pre-login cookie, as a browser would)."""
        start = await client.get(f"{self.url['intake']}{WORKSPACE}/masuk")
        login = await client.get(start.headers["location"])
        action = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', login.text)
        assert action, login.text[:500]
        # Keycloak's cookies are Secure: a browser sends them to 127.0.0.1 over http, httpx's jar does not.
        keycloak = "; ".join(f"{name}={value}" for name, value in login.cookies.items())
        back = await client.post(html.unescape(action.group(1)), headers={"Cookie": keycloak},
                                 data={"username": account.name, "password": account.password})
        assert back.status_code == 302, back.text[:500]
        return back.headers["location"]

    async def workspace_session(self, account: Account) -> str:
        """A person's workspace session cookie, signed in as a browser does."""
        async with httpx.AsyncClient(timeout=30) as client:
            signed_in = await client.get(await self.workspace_login(client, account))
            assert signed_in.status_code == 200, signed_in.text[:500]
            cookie = client.cookies.get(SESSION)
            assert cookie, "no session cookie"
            return cookie

    def log(self, service: str) -> Path:
        return self.folder / f"{service}.log"

    async def database(self, service: str) -> asyncpg.Connection:
        return await asyncpg.connect(self.settings.database_dsn(f"ksd_{service}{SUFFIX}"))


def _environment(traces: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({f"KSD_{s.upper()}_PORT": str(p) for s, p in TEST_PORTS.items()})
    env.update({"KSD_DB_SUFFIX": SUFFIX, "KSD_GROUP_PREFIX": GROUP_PREFIX, "KSD_TRACES_FILE": str(traces),
                "KSD_KAFKA_USER": "ksd_admin"})
    # The agreement scheduler ticks once at start and then not during a run: an hourly tick would
    # expire simulated agreements under the simulator's feet (tests drive `tick` themselves).
    env["KSD_AGREEMENT_SCHEDULE_SECONDS"] = str(7 * 24 * 3600)
    # Reminders run when a test says (`ksd admin remind --as-of`), never on reporting's own clock.
    env["KSD_REMINDER_SCHEDULE_SECONDS"] = "0"
    return env | (extra or {})


async def _fresh_history(settings: Settings) -> None:
    """Delete this slot's topics, so the run starts from an empty log; then create them again, with
    the ACLs of the slot's consumer groups (`ksd_common.access`)."""
    admin = AIOKafkaAdminClient(**settings.kafka_options())
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(NAMESPACE)]
        if ours:
            await admin.delete_topics(ours)
        while any(t.startswith(NAMESPACE) for t in await admin.list_topics()):
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    await setup_kafka(settings.model_copy(update={"group_prefix": GROUP_PREFIX}))


async def _recreate_databases() -> None:
    """This slot's four databases, empty, each owned by its service's role."""
    await ensure_roles(Settings())
    for service in SERVICES:
        await recreate_database(f"ksd_{service}{SUFFIX}")


async def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(240):
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise RuntimeError(f"{url} not ready after 60 s:\n{log.read_text()[-3000:]}")


def _start(platform: Platform, service: str, log_mode: str, env: dict[str, str] | None = None) -> None:
    """Start `service` as a process of its own, writing (`wb`) or continuing (`ab`) its log."""
    with platform.log(service).open(log_mode) as out:
        platform.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"ksd_{service}"], env=_environment(platform.traces, env), stdout=out,
            stderr=subprocess.STDOUT)


async def restart(platform: Platform, service: str, env: dict[str, str] | None = None) -> None:
    """Start `service` again once its process has ended (say, killed by a test), and wait until it
    is ready; its log continues after the killed process's. `env`: variables for this start only
    (a fault-injection switch)."""
    platform.processes[service].wait(10)
    _start(platform, service, "ab", env)
    await _wait_ready(platform.url[service], platform.processes[service], platform.log(service))


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    platform = Platform(tmp_path_factory.mktemp("platform"))
    asyncio.run(_recreate_databases())
    asyncio.run(_fresh_history(platform.settings))
    try:
        for service in SERVICES:
            _start(platform, service, "wb")

        async def ready() -> None:
            await asyncio.gather(*(_wait_ready(platform.url[s], platform.processes[s], platform.log(s))
                                   for s in SERVICES))

        asyncio.run(ready())
        yield platform
    finally:
        asyncio.run(platform.keycloak.forget())
        for process in platform.processes.values():
            process.terminate()
        for process in platform.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    """The fuzz tests' one HTTP session (schemathesis's `call_and_validate(session=...)`): one
    connection kept open for thousands of cases, as a client program would (schemathesis otherwise
    opens a session, and a connection, per case), with no state carried between cases (no cookies
    kept) and nothing read from the environment (proxies, .netrc: a lookup per request, an eighth of
    the read fuzz test's requests' time)."""
    with requests.Session() as session:
        session.trust_env = False
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        yield session


def ksd(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `ksd` command on the test platform (its databases and topics)."""
    return subprocess.run([sys.executable, "-m", "ksd_tools.cli", *args], env=_environment(Path("/dev/null")),
                          capture_output=True, text=True, timeout=120)


class TopicTail:
    """Reads what a topic receives from the moment it was created: the test's own records."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.consumer = AIOKafkaConsumer(**Settings().kafka_options(), enable_auto_commit=False)
        self.records: list[ConsumerRecord[bytes, bytes]] = []

    async def start(self) -> TopicTail:
        await self.consumer.start()
        count = next(n for name, n, _ in all_topics() if name == self.topic)
        partitions = [TopicPartition(self.topic, p) for p in range(count)]
        self.consumer.assign(partitions)
        for partition, offset in (await self.consumer.end_offsets(partitions)).items():
            self.consumer.seek(partition, offset)
        return self

    async def wait_for(self, match: Callable[[ConsumerRecord[bytes, bytes]], bool], count: int = 1,
                       timeout: float = 30, settle: float = 0.0,
                       distinct: Callable[[ConsumerRecord[bytes, bytes]], object] | None = None,
                       ) -> list[ConsumerRecord[bytes, bytes]]:
        """The records matching `match`, once there are `count` of them (or `count` distinct values
        of `distinct(record)`: a relay killed before its outbox delete may publish a record twice,
        and a copy must not stand in for one still to come); after `settle` seconds more of
        reading, so that a duplicate would have shown."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (found := self._count(match, distinct)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.topic}: {found} of {count} records")
            await self._read(0.2)
        if settle:
            await self._read(settle)
        return [r for r in self.records if match(r)]

    def _count(self, match: Callable[[ConsumerRecord[bytes, bytes]], bool],
               distinct: Callable[[ConsumerRecord[bytes, bytes]], object] | None) -> int:
        matching = [r for r in self.records if match(r)]
        return len(matching) if distinct is None else len({distinct(r) for r in matching})

    async def _read(self, seconds: float) -> None:
        batches = await self.consumer.getmany(timeout_ms=int(seconds * 1000))
        for records in batches.values():
            self.records.extend(records)

    async def stop(self) -> None:
        await self.consumer.stop()


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    return next((v.decode() for k, v in record.headers if k == name), None)


@pytest.fixture
async def tail() -> AsyncIterator[Callable[[str], Awaitable[TopicTail]]]:
    """`await tail(topic)`: a reader of what the topic receives from now on."""
    opened: list[TopicTail] = []

    async def open_tail(topic: str) -> TopicTail:
        opened.append(await TopicTail(topic).start())
        return opened[-1]

    yield open_tail
    for t in opened:
        await t.stop()
