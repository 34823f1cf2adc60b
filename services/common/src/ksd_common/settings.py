"""Settings from the environment (INTERFACES.md, "Places"): the same names in local mode and compose."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KSD_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    # 1 on one machine; 3 in production (deploy/k8s), with min.insync.replicas=2.
    kafka_replication: int = 1
    pg_dsn: str = "postgresql://ksd:ksd@127.0.0.1:5432"
    # Appended to the four fixed database names: the test suite runs on ksd_*_test beside a live platform.
    db_suffix: str = ""
    host: str = "127.0.0.1"
    intake_port: int = 8081
    agreement_port: int = 8082
    mapping_port: int = 8083
    reporting_port: int = 8084
    # Consumer group prefix: tests run a second platform beside a live one under another prefix.
    group_prefix: str = "ksd"
    # Batch consumers: how many records at most, and how long to wait to fill a batch.
    batch_max_records: int = 500
    batch_timeout_ms: int = 20
    # Where spans go when no OTLP collector is set: a JSON-lines file (tests read it).
    traces_file: str | None = None
    log_level: str = "INFO"
    # Fault-injection switch, for tests only: comma-separated event types whose handler fails in
    # this service (ksd_common.parking.with_faults), to act out a bad release. Empty in production.
    fault_event_types: str = ""

    def database_dsn(self, database: str) -> str:
        return f"{self.pg_dsn.rstrip('/')}/{database}{self.db_suffix}"

    def server_dsn(self) -> str:
        """The server's maintenance database: where databases are created and dropped."""
        return f"{self.pg_dsn.rstrip('/')}/postgres"

    def port_of(self, service: str) -> int:
        port: int = getattr(self, f"{service}_port")
        return port


@cache
def settings() -> Settings:
    return Settings()
