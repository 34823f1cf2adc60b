"""Least privilege inside the platform: who may touch which topic and which database.

Kafka: every service is a principal `ksd_<service>` (SASL/SCRAM-SHA-512), the `ksd` command is
`ksd_admin`, and `ksd_setup` (the broker's super user) only sets things up. The broker allows
nothing that no ACL allows (`allow.everyone.if.no.acl.found=false`); the ACLs are made here from
the topic registry's `writers` and `readers` (`ksd_contracts.topics`), never written by hand.

PostgreSQL: every service is a login role `ksd_<service>` that owns its database (and every
database made from it: a test slot's, a rebuild's) and may connect to no other; the bootstrap
role of `KSD_PG_DSN` (`ksd`) creates the roles and the databases and owns no service's data.

`python -m ksd_common.access setup` does both (idempotent; `make infra`, docker-compose's `setup`);
`python -m ksd_common.access kafka-users` prints the users for the broker's format step.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from dataclasses import dataclass
from enum import IntEnum

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest

from ksd_common.settings import Settings, owner_of, settings
from ksd_common.topics import ensure_topics
from ksd_contracts.topics import ADMIN, HISTORY, SERVICES, all_topics

log = logging.getLogger(__name__)

SETUP = "ksd_setup"
"""The broker's super user (`super.users`): creates topics and ACLs, nothing else uses it."""


def principal(who: str) -> str:
    """The Kafka principal of a service, or of ADMIN (the `ksd` command)."""
    return settings().kafka_principal(who)


def role(service: str) -> str:
    """The PostgreSQL login role of a service, which owns its database."""
    return f"ksd_{service}"


PRINCIPALS = (*(principal(s) for s in SERVICES), principal(ADMIN), SETUP)


class Resource(IntEnum):  # Kafka's ResourceType codes
    TOPIC = 2
    GROUP = 3


class Pattern(IntEnum):  # Kafka's PatternType codes
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):  # Kafka's AclOperation codes
    READ = 3
    WRITE = 4
    CREATE = 5
    DESCRIBE = 8


ALLOW = 3  # Kafka's AclPermissionType
ANY_TOPIC = "*"


@dataclass(frozen=True, order=True)
class Grant:
    """One ACL: `principal` may do `operation` on the topic or group `name` (or every name that
    starts with it, PREFIXED)."""

    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation


def grants(group_prefix: str, principals: str | None = None) -> list[Grant]:
    """Every ACL the platform needs, from the topic registry: a writer may write (and describe) its
    topics; a reader may read (and describe) them, write their dead letters (`<topic>.dlq`, through
    its outbox) and read with its consumer groups (`<group_prefix>-<service>-…`, ksd_common.service);
    ADMIN reads every topic (auditors replay the history and its copies) and may create the
    registry's topics (`ksd admin topics`). Principals are named by `principals` (as
    `kafka_principals`; by default this process's settings')."""
    out: set[Grant] = set()
    named = Settings(kafka_principals=principals).kafka_principal if principals else principal

    def topic(who: str, name: str, *operations: Operation) -> None:
        out.update(Grant(named(who), Resource.TOPIC, name, Pattern.LITERAL, o) for o in operations)

    for t in HISTORY:
        for who in t.writers:
            topic(who, t.name, Operation.WRITE, Operation.DESCRIBE)
        for who in t.readers:
            topic(who, t.name, Operation.READ, Operation.DESCRIBE)
            topic(who, t.dlq, Operation.WRITE, Operation.DESCRIBE)
            out.add(Grant(named(who), Resource.GROUP, f"{group_prefix}-{who}-", Pattern.PREFIXED,
                          Operation.READ))
    topic(ADMIN, ANY_TOPIC, Operation.READ, Operation.DESCRIBE)
    for name, _, _ in all_topics():
        topic(ADMIN, name, Operation.CREATE)
    return sorted(out)


def may(grant_list: list[Grant], who: str, operation: Operation, topic_name: str) -> bool:
    """Whether `who` may do `operation` on the topic `topic_name` under `grant_list` (as the
    broker decides it for LITERAL grants and the wildcard)."""
    return any(g.principal == principal(who) and g.resource == Resource.TOPIC and g.operation == operation
               and g.name in (topic_name, ANY_TOPIC) for g in grant_list)


async def setup_kafka(config: Settings | None = None) -> None:
    """The registry's topics and the ACLs of this platform's namespace and group prefix, as the
    setup user (idempotent: creating an ACL that exists changes nothing)."""
    config = config or settings()
    await ensure_topics(principal=SETUP)
    if not config.kafka_security_protocol.startswith("SASL"):
        return
    admin = AIOKafkaAdminClient(**config.kafka_options(SETUP))
    await admin.start()
    try:
        for g in grants(config.group_prefix):
            # aiokafka's admin client has no create_acls: its protocol's request, one binding each.
            response = await admin._send_request(CreateAclsRequest(
                g.resource, g.name, g.pattern, f"User:{g.principal}", "*", g.operation, ALLOW))
            for code, message in response.creation_responses:
                if code:
                    raise for_code(code)(f"ACL {g}: {message}")
    finally:
        await admin.close()


async def setup_postgres(config: Settings | None = None) -> None:
    """The services' login roles (their passwords as the settings say) and their four databases,
    each owned by its service and closed to every other role (CONNECT revoked from PUBLIC); a
    database made before the roles existed is handed to its service, with everything in it."""
    config = config or settings()
    await ensure_roles(config, passwords=True)
    conn = await asyncpg.connect(config.server_dsn())
    try:
        for service in SERVICES:
            name = f"ksd_{service}{config.db_suffix}"
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await hand_over(config, name)
            else:
                await create_database(conn, name)
    finally:
        await conn.close()


async def ensure_roles(config: Settings, *, passwords: bool = False) -> None:
    """Each service's login role, with its password; the bootstrap role a member of each, so that
    it may create (and drop) databases they own. Roles are the server's: every test slot shares
    them, so an existing role's password is set again only when asked (`setup`: ALTER ROLE from
    two test runs at once could collide)."""
    conn = await asyncpg.connect(config.server_dsn())
    try:
        for login in (role(s) for s in SERVICES):
            password = config.pg_password(login).replace("'", "''")
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", login)
            if not exists or passwords:
                await conn.execute(f"{'ALTER' if exists else 'CREATE'} ROLE \"{login}\" LOGIN PASSWORD '{password}'")
            if not await conn.fetchval("SELECT pg_has_role(current_user, $1, 'MEMBER')", login):
                await conn.execute(f'GRANT "{login}" TO current_user')
    finally:
        await conn.close()


async def create_database(conn: asyncpg.Connection, name: str) -> None:
    """`name`, owned by the service whose database it is (`owner_of`), closed to every other role."""
    owner = owner_of(name)
    await conn.execute(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
    if owner:
        await conn.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')


_HAND_OVER = """DO $$ DECLARE o record; BEGIN
  FOR o IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
        AND c.relkind IN ('r', 'p', 'v', 'm') LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I', CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
      ELSE 'TABLE' END, o.name, '{owner}');
  END LOOP;
  FOR o IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'S'
        AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', o.name, '{owner}');
  END LOOP;
  FOR o IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', o.name, '{owner}');
  END LOOP;
END $$"""


async def hand_over(config: Settings, name: str) -> None:
    """Give an existing service database, and what the bootstrap role owns in it, to its service
    (databases made before the roles existed); a database its service owns already is left as is."""
    owner = owner_of(name)
    assert owner is not None
    admin_dsn = config.server_dsn().replace("/postgres", f"/{name}", 1)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'ALTER DATABASE "{name}" OWNER TO "{owner}"')
        await conn.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        await conn.execute(_HAND_OVER.replace("{owner}", owner))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ksd_common.access", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup", help="PostgreSQL roles and databases, Kafka topics and ACLs")
    setup.add_argument("--only", choices=("postgres", "kafka"))
    commands.add_parser("kafka-users", help="each Kafka user and its password, a line each (for the broker)")
    args = parser.parse_args()
    if args.command == "kafka-users":
        print("\n".join(f"{p} {settings().kafka_password(p)}" for p in PRINCIPALS))
        return
    if args.only != "kafka":
        asyncio.run(setup_postgres())
        print("access: PostgreSQL roles and databases of", ", ".join(SERVICES))
    if args.only != "postgres":
        asyncio.run(setup_kafka())
        print(f"access: Kafka topics and ACLs (groups {settings().group_prefix}-<service>-)")


if __name__ == "__main__":
    main()
