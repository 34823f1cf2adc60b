"""Settings from the environment (INTERFACES.md, "Places"): the same names in local mode and compose."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ksd_contracts.topics import SERVICES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KSD_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    # Every Kafka client authenticates (SASL/SCRAM-SHA-512) as a principal of its own
    # (`ksd_common.access`); PLAINTEXT only for a broker without authentication.
    kafka_security_protocol: str = "SASL_PLAINTEXT"
    # The principal of a process that is not a service: the `ksd` command (`ksd admin`, `ksd audit`).
    kafka_user: str = "ksd_admin"
    # How a service's principal is named from the service's name ("ksd_intake"); Strimzi's users
    # (deploy/k8s) are Kubernetes names, where `_` is not allowed: there "ksd-{}".
    kafka_principals: Annotated[str, Field(pattern=r"^[^{}]*\{\}[^{}]*$")] = "ksd_{}"
    # Passwords of the Kafka users and of the services' PostgreSQL roles, by name (JSON, e.g.
    # KSD_KAFKA_PASSWORDS='{"ksd_intake": "..."}'); a name not given has the local default
    # "<name>-local-secret" (local_password), which deploy/local and docker-compose.yml set up.
    kafka_passwords: dict[str, str] = {}
    pg_passwords: dict[str, str] = {}
    # Copies of each platform topic, and how many must hold a write before it is acknowledged
    # (min.insync.replicas). Unset: from the cluster's size (ksd_common.topics.durability): 1 and 1
    # on one broker, 3 and 2 on three or more (deploy/k8s; `KSD_KAFKA_NODES=3 make up`).
    kafka_replication: int | None = None
    kafka_min_insync: int | None = None
    # The server, as the bootstrap role that creates the databases and the services' roles
    # (`ksd_common.access`); a service's own database is reached as that service's role.
    pg_dsn: str = "postgresql://ksd:ksd@127.0.0.1:5432"
    # TLS to PostgreSQL (libpq's sslmode: disable, prefer, require, verify-ca, verify-full). Unset: none
    # over loopback or a unix socket, where it only costs (a third more per round trip against
    # Debian's snakeoil certificate), and asyncpg's default (prefer) to any other host. An sslmode
    # in pg_dsn's own query wins over both.
    pg_sslmode: str | None = None
    # Appended to the four fixed database names: the test suite runs on ksd_*_test beside a live platform.
    db_suffix: str = ""
    host: str = "127.0.0.1"
    intake_port: int = 8081
    agreement_port: int = 8082
    mapping_port: int = 8083
    reporting_port: int = 8084
    # Where a browser reaches mapping's API (the dashboard's partner suggestions, served by mapping
    # itself); unset: the dashboard's own host at mapping_port.
    mapping_public_url: str | None = None
    # Where a reader reaches intake and reporting, for the links in answers (ksd_common.audience.served);
    # unset: the host the reader reached the answering service at, on that service's port.
    intake_public_url: str | None = None
    reporting_public_url: str | None = None
    # Where intake's workspace (ksd_intake.workspace) calls reporting and mapping for a person;
    # unset: this host at their ports.
    reporting_url: str | None = None
    mapping_url: str | None = None
    # Consumer group prefix: tests run a second platform beside a live one under another prefix.
    group_prefix: str = "ksd"
    # Batch consumers: how many records at most in a batch, and how long a consumer with nothing to
    # read waits for a record before asking again, the broker holding its fetch as long (a record
    # that comes meanwhile ends both at once: ksd_common.consumer.next_batch).
    batch_max_records: int = 500
    consumer_idle_wait_ms: int = 5000
    # How long a consumer may go silent before its group gives its partitions to the others: the
    # stall after a replica dies (aiokafka's default, 10 s, stalled answers 12 s). At least the
    # broker's group.min.session.timeout.ms (3 s in deploy/local/kafka/server.properties and the
    # k8s Kafka; Kafka's own default there is 6 s).
    kafka_session_timeout_ms: int = 4000
    # Where spans go when no OTLP collector is set: a JSON-lines file (tests read it).
    traces_file: str | None = None
    log_level: str = "INFO"
    # Keycloak, the identity provider (ksd_common.oidc): the issuer its tokens name, where to reach
    # the realm when that differs (a container reaches it by another name), the audience a token
    # must be for, and the platform's own client, which introspects tokens.
    oidc_issuer: str = "http://127.0.0.1:8180/realms/ksd"
    oidc_url: str | None = None
    oidc_audience: str = "ksd-platform"
    oidc_client_id: str = "ksd-platform"
    oidc_client_secret: str = "ksd-platform-local-secret"
    # How long a token's introspection answer is reused: a revoked session or disabled client stops
    # working everywhere within this many seconds.
    oidc_recheck_seconds: float = 5.0
    # Reminders (ksd_reporting.reminders): the SMTP server they are mailed through (locally the Mailpit
    # sink of deploy/local/mail.sh, whose messages are read on its web page and API at 8025), the
    # sender, addresses of a region beside its operators' accounts ("53.71=a@x.go.id b@y.go.id;74=c@z.go.id"),
    # and how often reporting runs them (0: only `ksd admin remind`).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    mail_from: str = "Kerja Sama Daerah <pengingat@kerjasama.kemendagri.go.id>"
    reminder_recipients: str = ""
    reminder_schedule_seconds: float = 3600.0
    # Fault-injection switch, for tests only: comma-separated event types whose handler fails in
    # this service (ksd_common.parking.with_faults), to act out a bad release. Empty in production.
    fault_event_types: str = ""

    def database_dsn(self, database: str) -> str:
        """`database` (with the suffix), as its owner: a service's database as the service's role."""
        return self._dsn(f"{database}{self.db_suffix}")

    def server_dsn(self) -> str:
        """The server's maintenance database: where databases are created and dropped."""
        return self._dsn("postgres")

    def _dsn(self, database: str) -> str:
        """pg_dsn naming `database`, with the sslmode that `pg_sslmode` says (every connection of the
        platform is made from these DSNs, so this is the one place TLS is decided)."""
        parts = urlsplit(self.pg_dsn)
        query = dict(parse_qsl(parts.query))
        mode = self.pg_sslmode or ("disable" if is_local(parts.hostname, query.get("host")) else None)
        if mode and "sslmode" not in query:
            query["sslmode"] = mode
        netloc = parts.netloc
        if (role := owner_of(database)) is not None:
            host = netloc.rpartition("@")[2]
            netloc = f"{role}:{quote(self.pg_password(role), safe='')}@{host}"
        return urlunsplit((parts.scheme, netloc, f"/{database}", urlencode(query), ""))

    def pg_password(self, role: str) -> str:
        return self.pg_passwords.get(role) or local_password(role)

    def kafka_principal(self, service: str) -> str:
        """The principal `service` signs in to the broker as (`kafka_principals`)."""
        return self.kafka_principals.format(service)

    def kafka_password(self, principal: str) -> str:
        return self.kafka_passwords.get(principal) or local_password(principal)

    def kafka_options(self, principal: str | None = None, bootstrap: str | None = None) -> dict[str, Any]:
        """What every aiokafka client of the platform is made with: where the broker is, and who
        this client is (`principal`, else `kafka_user`), so the broker's ACLs decide what it may do."""
        brokers = [b.strip() for b in (bootstrap or self.kafka_bootstrap).split(",") if b.strip()]
        options: dict[str, Any] = {"bootstrap_servers": brokers,  # a cluster's, comma-separated
                                   "security_protocol": self.kafka_security_protocol}
        if self.kafka_security_protocol.startswith("SASL"):
            user = principal or self.kafka_user
            options |= {"sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": user,
                        "sasl_plain_password": self.kafka_password(user)}
        return options

    @property
    def oidc_realm_url(self) -> str:
        """Where this process reaches the realm (its token, certificate and introspection endpoints)."""
        return (self.oidc_url or self.oidc_issuer).rstrip("/")

    def url_of(self, service: str) -> str:
        """Where another service's API is reached from this process."""
        url: str | None = getattr(self, f"{service}_url", None)
        return url or f"http://127.0.0.1:{self.port_of(service)}"

    def port_of(self, service: str) -> int:
        port: int = getattr(self, f"{service}_port")
        return port


def owner_of(database: str) -> str | None:
    """The service role that owns `database`: `ksd_intake` for ksd_intake and every database made
    from it (ksd_intake_test3, ksd_reporting_rebuild_…); None for any other (the bootstrap role's)."""
    return next((f"ksd_{s}" for s in SERVICES if database == f"ksd_{s}" or database.startswith(f"ksd_{s}_")), None)


def local_password(name: str) -> str:
    """The password of a platform user or role on one machine, unless the environment gives one."""
    return f"{name}-local-secret"


def is_local(hostname: str | None, host_query: str | None = None) -> bool:
    """Loopback or a unix socket (no host, or a path as the host): TLS there protects nothing."""
    host = host_query or hostname
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@cache
def settings() -> Settings:
    return Settings()
