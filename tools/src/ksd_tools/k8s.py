"""The part of deploy/k8s that the code already says: the Kafka topics, each service's Kafka user and
its ACLs, and each service's Deployment, Service, PodDisruptionBudget and autoscaling on the lag of
its own consumer groups. Written from the topic registry (`ksd_contracts.topics`) and the services'
specs (what each consumes and publishes, `ksd_common.service.ServiceSpec`), never by hand, so a new
topic or consumer reaches production with the code: `make k8s` writes deploy/k8s/generated/, and
tests/contract/test_k8s.py fails when the committed files differ from what this makes.

Run in a production environment (no test prefix on topics or groups): `python -m ksd_tools.k8s
[--check]`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ksd_common import access
from ksd_common.access import Pattern, grants
from ksd_common.service import ServiceSpec
from ksd_common.settings import Settings, settings
from ksd_common.topics import durability
from ksd_contracts.topics import NAMESPACE, all_topics

Object = dict[str, Any]

OUT = Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "generated"
KAFKA = "ksd-kafka"  # the Strimzi Kafka cluster (deploy/k8s/kafka/kafka.yaml)
BOOTSTRAP = f"{KAFKA}-kafka-bootstrap:9092"  # its SCRAM listener, as Strimzi names the bootstrap service
POSTGRES = "ksd-pg-rw"  # CloudNativePG's read-write service of the cluster ksd-pg (deploy/k8s/postgres)
BROKERS = 3  # deploy/k8s/kafka/kafka.yaml's node pool
REPLICAS, MIN_IN_SYNC = durability(BROKERS)  # 3 and 2, as a local cluster's: one broker may be down
KEDA_USER = "ksd-keda"  # reads the consumer groups' lag, nothing else
PRINCIPALS = "ksd-{}"
"""How a service's principal is named in the cluster (its `KSD_KAFKA_PRINCIPALS`): as its KafkaUser."""


@dataclass(frozen=True)
class Size:
    """Requests and limits, from what each service used under the full-scale bench (README,
    Performance: resident memory after the load 149-205 MiB; one uvicorn worker, so one core at most)."""

    cpu: str
    memory: str
    memory_limit: str
    max_replicas: int


SIZES = {
    "intake": Size("500m", "320Mi", "640Mi", 6),  # 205 MiB after the bench; every node's HTTP lands here
    "agreement": Size("500m", "256Mi", "512Mi", 6),  # 151 MiB; one replica per partition at most (6)
    "mapping": Size("250m", "256Mi", "512Mi", 6),  # 155 MiB
    "reporting": Size("500m", "384Mi", "1Gi", 6),  # 149 MiB, and the audit report's PDF on demand
}


def name(spec: ServiceSpec) -> str:
    return f"ksd-{spec.name}"


def topics() -> list[Object]:
    """Every registry topic (dead letters included), replicated on three brokers."""
    return [{
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
        "metadata": {"name": topic, "labels": {"strimzi.io/cluster": KAFKA}},
        "spec": {"topicName": topic, "partitions": partitions, "replicas": REPLICAS,
                 "config": {**config, "min.insync.replicas": str(MIN_IN_SYNC)}},
    } for topic, partitions, config in all_topics()]


def acl(kind: str, resource: str, operations: list[str], pattern: str = "literal") -> Object:
    return {"resource": {"type": kind, "name": resource, "patternType": pattern}, "operations": operations}


def user(user_name: str, acls: list[Object]) -> Object:
    return {
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
        "metadata": {"name": user_name, "labels": {"strimzi.io/cluster": KAFKA}},
        "spec": {"authentication": {"type": "scram-sha-512"}, "authorization": {"type": "simple", "acls": acls}},
    }


def users(specs: list[ServiceSpec], config: Settings) -> list[Object]:
    """A KafkaUser per principal with exactly the ACLs `ksd_common.access.grants` gives it on the
    local broker (one definition of who may touch what), and KEDA's, which only reads the lag."""
    operations: dict[str, dict[tuple[str, str, str], list[str]]] = {}
    for grant in grants(config.group_prefix, PRINCIPALS):
        pattern = "prefix" if grant.pattern == Pattern.PREFIXED else "literal"
        key = (grant.resource.name.lower(), grant.name, pattern)
        operations.setdefault(grant.principal, {}).setdefault(key, []).append(grant.operation.name.capitalize())
    keda = [acl("group", f"{config.group_prefix}-", ["Describe"], "prefix")]
    keda += [acl("topic", c.topic.name, ["Describe"])
             for c in {c.topic.name: c for spec in specs for c in spec.consumed}.values()]
    held = {who: [acl(kind, name, ops, pattern) for (kind, name, pattern), ops in by_resource.items()]
            for who, by_resource in sorted(operations.items())}
    return [*(user(who, acls) for who, acls in held.items()), user(KEDA_USER, keda)]


def role(spec: ServiceSpec) -> str:
    """The service's PostgreSQL login role, which owns its database (as ksd_common.access makes it)."""
    return access.role(spec.name)


def database(spec: ServiceSpec) -> Object:
    """The service's database in the CloudNativePG cluster, owned by its role (postgres/cluster.yaml)."""
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database", "metadata": {"name": name(spec)},
            "spec": {"cluster": {"name": "ksd-pg"}, "name": spec.database, "owner": role(spec)}}


def env(spec: ServiceSpec) -> list[Object]:
    """The settings (`ksd_common.settings`) a service needs in the cluster; the rest keep their
    defaults. Passwords come from Secrets; `$(VAR)` is Kubernetes' own expansion of an earlier one."""
    def secret(var: str, secret_name: str, key: str) -> Object:
        return {"name": var, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}

    return [
        secret("KAFKA_PASSWORD", PRINCIPALS.format(spec.name), "password"),  # made by Strimzi's user operator
        secret("PG_PASSWORD", f"ksd-pg-{spec.name}", "password"),  # deploy/k8s/README: made before apply
        {"name": "KSD_KAFKA_BOOTSTRAP", "value": BOOTSTRAP},
        {"name": "KSD_KAFKA_SECURITY_PROTOCOL", "value": "SASL_PLAINTEXT"},
        {"name": "KSD_KAFKA_PRINCIPALS", "value": PRINCIPALS},
        {"name": "KSD_KAFKA_PASSWORDS", "value": f'{{"{PRINCIPALS.format(spec.name)}": "$(KAFKA_PASSWORD)"}}'},
        {"name": "KSD_KAFKA_REPLICATION", "value": str(REPLICAS)},
        {"name": "KSD_PG_DSN", "value": f"postgresql://{role(spec)}:$(PG_PASSWORD)@{POSTGRES}:5432"},
        {"name": "KSD_PG_PASSWORDS", "value": f'{{"{role(spec)}": "$(PG_PASSWORD)"}}'},
        {"name": "KSD_PG_SSLMODE", "value": "require"},
        secret("KSD_OIDC_CLIENT_SECRET", "ksd-oidc", "client-secret"),
    ]


def deployment(spec: ServiceSpec, port: int) -> Object:
    size = SIZES[spec.name]
    labels = {"app.kubernetes.io/name": name(spec), "app.kubernetes.io/part-of": "ksd"}

    def probe(path: str, period: int, failures: int) -> Object:
        return {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period, "timeoutSeconds": 3,
                "failureThreshold": failures}

    container = {
        "name": spec.name, "image": name(spec),
        "ports": [{"name": "http", "containerPort": port}],
        "envFrom": [{"configMapRef": {"name": "ksd-platform"}}],
        "env": env(spec),
        "resources": {"requests": {"cpu": size.cpu, "memory": size.memory}, "limits": {"memory": size.memory_limit}},
        # Migrations run before the process answers: up to 5 minutes to start, then the usual checks.
        "startupProbe": probe("/healthz", 5, 60),
        "livenessProbe": probe("/healthz", 10, 3),
        "readinessProbe": probe("/readyz", 5, 2),
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name(spec), "labels": labels},
        "spec": {
            "replicas": 2, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                # The consumers' graceful stop (15 s, ksd_common.broker) and the relay's last batch.
                "terminationGracePeriodSeconds": 45,
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                               "whenUnsatisfiable": "ScheduleAnyway",
                                               "labelSelector": {"matchLabels": labels}}],
                "containers": [container],
                "volumes": [{"name": "tmp", "emptyDir": {}}],
            }},
        },
    }


def service(spec: ServiceSpec, port: int) -> Object:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name(spec)},
            "spec": {"selector": {"app.kubernetes.io/name": name(spec)},
                     "ports": [{"name": "http", "port": port, "targetPort": "http"}]}}


def disruption_budget(spec: ServiceSpec) -> Object:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name(spec)},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": name(spec)}}}}


def scaled_object(spec: ServiceSpec) -> Object:
    """Two replicas at least (one may die without a stall), more while any of its consumer groups
    lags; never more than partitions (KEDA caps each trigger at its topic's partition count)."""
    size = SIZES[spec.name]
    triggers = [{
        "type": "kafka", "authenticationRef": {"name": KEDA_USER},
        "metadata": {"bootstrapServers": BOOTSTRAP, "consumerGroup": spec.group(c.topic),
                     "topic": c.topic.name, "lagThreshold": "500", "sasl": "scram_sha512",
                     "tls": "disable"},
    } for c in spec.consumed]
    # HTTP load (nodes submitting, the dashboard) shows as CPU, not as lag.
    triggers.append({"type": "cpu", "metricType": "Utilization", "metadata": {"value": "70"}})
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": name(spec)},
        "spec": {"scaleTargetRef": {"name": name(spec)}, "minReplicaCount": 2, "maxReplicaCount": size.max_replicas,
                 "pollingInterval": 15, "cooldownPeriod": 300, "triggers": triggers},
    }


def keda_authentication() -> Object:
    """The lag reader's credentials: its KafkaUser's Secret (Strimzi's) and its name."""
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication", "metadata": {"name": KEDA_USER},
            "spec": {"secretTargetRef": [
                {"parameter": "username", "name": "ksd-keda-username", "key": "username"},
                {"parameter": "password", "name": KEDA_USER, "key": "password"}]}}


def specs() -> list[ServiceSpec]:
    services = ("intake", "agreement", "mapping", "reporting")
    return [importlib.import_module(f"ksd_{s}.app").SPEC for s in services]


def documents() -> dict[str, list[Object]]:
    """Each generated file's objects."""
    if NAMESPACE:
        raise SystemExit("k8s: run without KSD_TOPIC_PREFIX (production names)")
    all_specs = specs()
    per_service: list[Object] = []
    for spec in all_specs:
        port = settings().port_of(spec.name)
        per_service += [deployment(spec, port), service(spec, port), disruption_budget(spec), scaled_object(spec)]
    return {"topics.yaml": topics(), "users.yaml": users(all_specs, settings()),
            "databases.yaml": [database(s) for s in all_specs],
            "services.yaml": [*per_service, keda_authentication()]}


class _Plain(yaml.SafeDumper):
    """YAML a person reads: a label set written out wherever it is used, no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(objects: list[Object]) -> str:
    header = "# Written by `make k8s` (python -m ksd_tools.k8s) from the code: do not edit.\n"
    return header + "---\n".join(yaml.dump(o, Dumper=_Plain, sort_keys=False, width=120) for o in objects)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ksd_tools.k8s", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when deploy/k8s/generated/ differs")
    args = parser.parse_args()
    stale = []
    for file, objects in documents().items():
        text, path = render(objects), OUT / file
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print("k8s: differs from the code (run `make k8s`):", *stale, sep="\n  ", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
