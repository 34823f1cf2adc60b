"""deploy/k8s, the production shape: rendered by kustomize as an operator would apply it, and every
object held strictly (an unknown field is an error) to the schema the cluster would hold it to:
Kubernetes' own (kubernetes-validate's, for one Kubernetes release) and the CRDs of the operators
it needs (Strimzi, CloudNativePG, KEDA, as deploy/local/k8s-tools.sh pins and installs them). And
what the code says reaches it: every registry topic, each service's consumer groups, its Kafka user.

Nothing here runs on a cluster (README, "Production (Kubernetes)").
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from ksd_common.service import ServiceSpec
from ksd_common.settings import Settings
from ksd_contracts.topics import NAMESPACE, all_topics

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = "1.35.0"  # the release the manifests are held to (kubernetes-validate carries 1.25 to 1.37)
SERVICES = ("intake", "agreement", "mapping", "reporting")
Object = dict[str, Any]

# The tools' first install builds kustomize (about a minute of CPU, more on a busy machine).
pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def tools() -> Path:
    """kustomize and the CRDs, installed as `make test` does (deploy/local/k8s-tools.sh)."""
    run = subprocess.run([ROOT / "deploy" / "local" / "k8s-tools.sh", "path"], check=True, capture_output=True,
                         text=True, timeout=1200)
    return Path(run.stdout.strip())


@pytest.fixture(scope="module")
def rendered(tools: Path) -> list[Object]:
    run = subprocess.run([tools / "bin" / "kustomize", "build", "--load-restrictor", "LoadRestrictionsNone",
                          ROOT / "deploy" / "k8s"], check=True, capture_output=True, text=True, timeout=120)
    return [d for d in yaml.safe_load_all(run.stdout) if d]


@pytest.fixture(scope="module")
def crd_schemas(tools: Path) -> dict[tuple[str, str], Object]:
    """(apiVersion, kind) -> the JSON schema of every version each installed CRD serves."""
    schemas = {}
    for file in sorted((tools / "crds").glob("*.yaml")):
        crd = yaml.safe_load(file.read_text())
        for version in crd["spec"]["versions"]:
            api_version = f"{crd['spec']['group']}/{version['name']}"
            schemas[api_version, crd["spec"]["names"]["kind"]] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


def strict(schema: Any) -> Any:
    """A CRD's openAPIV3Schema as a JSON schema that refuses unknown fields (as kubeconform's
    openapi2jsonschema makes it): an object with properties allows no others unless it says it
    keeps unknown fields; int-or-string and nullable become JSON schema's own forms."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) if k not in ("enum", "default", "example", "required") else v for k, v in schema.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def problems(document: Object, crd_schemas: dict[tuple[str, str], Object]) -> list[str]:
    """What is wrong with one rendered object; [] when it is valid."""
    where = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
    schema = crd_schemas.get((document.get("apiVersion", ""), document.get("kind", "")))
    if schema is None:
        try:
            kubernetes_validate.validate(document, KUBERNETES, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            return [f"{where}: no schema for {document.get('apiVersion')} {document.get('kind')}"]
        except kubernetes_validate.ValidationError as e:
            return [f"{where} at {'/'.join(map(str, e.path))}: {e.message}"]
        return []
    found = [f"{where} at {'/'.join(map(str, e.path))}: {e.message}"
             for e in jsonschema.Draft7Validator(schema).iter_errors(document)]
    # A custom resource's metadata is Kubernetes' ObjectMeta: held to it as a ConfigMap's would be.
    meta = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": document.get("metadata", {})}
    return found + [p.replace("ConfigMap/", f"{document['kind']}/", 1) for p in problems(meta, crd_schemas)]


def test_every_rendered_object_is_valid_strictly(rendered: list[Object],
                                                 crd_schemas: dict[tuple[str, str], Object]) -> None:
    kinds = {d["kind"] for d in rendered}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "Database", "ScaledObject",
            "TriggerAuthentication", "Deployment", "Service", "PodDisruptionBudget", "ConfigMap"} <= kinds
    found = [p for d in rendered for p in problems(d, crd_schemas)]
    assert not found, "\n".join(found)


def _set(path: str, value: Any) -> Callable[[Object], None]:
    """A change at a slash-separated path (numbers index lists)."""
    *parents, last = path.split("/")

    def change(document: Object) -> None:
        node: Any = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value

    return change


BROKEN = {
    "a misspelt field of a ScaledObject": ("ScaledObject", _set("spec/minReplicas", 2), "minReplicas"),
    "a trigger without its type": ("ScaledObject", lambda d: d["spec"]["triggers"][0].pop("type"), "type"),
    "a misspelt probe of a Deployment": ("Deployment", _set("spec/template/spec/containers/0/livenesProbe", {}),
                                         "livenesProbe"),
    "replicas as words in a KafkaTopic": ("KafkaTopic", _set("spec/replicas", "three"), "three"),
    "an ACL operation Kafka lacks": ("KafkaUser", _set("spec/authorization/acls/0/operations/0", "Publish"),
                                     "Publish"),
    "a misspelt label field of a Cluster": ("Cluster", _set("metadata/lables", {"a": "b"}), "lables"),
    "a node pool without storage": ("KafkaNodePool", lambda d: d["spec"].pop("storage"), "storage"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_object_fails_validation(case: str, rendered: list[Object],
                                          crd_schemas: dict[tuple[str, str], Object]) -> None:
    kind, change, named = BROKEN[case]
    document = copy.deepcopy(next(d for d in rendered if d["kind"] == kind))
    assert problems(document, crd_schemas) == []
    change(document)
    found = problems(document, crd_schemas)
    assert found and named in " ".join(found), found


def test_the_generated_manifests_are_what_the_code_says() -> None:
    """deploy/k8s/generated/ is `make k8s`'s output for the code as it is now (production names:
    no test prefix on topics or groups)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KSD_")}
    run = subprocess.run([sys.executable, "-m", "ksd_tools.k8s", "--check"], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def production(name: str) -> str:
    """A registry name as production has it: without this test run's topic prefix."""
    return name.replace(NAMESPACE, "")


def of_kind(rendered: list[Object], kind: str) -> dict[str, Object]:
    return {d["metadata"]["name"]: d for d in rendered if d["kind"] == kind}


def test_every_registry_topic_is_on_three_brokers_and_needs_two(rendered: list[Object]) -> None:
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(rendered, "KafkaTopic").values()}
    assert {production(name): partitions for name, partitions, _ in all_topics()} == {
        name: spec["partitions"] for name, spec in topics.items()}
    assert {(s["replicas"], s["config"]["min.insync.replicas"], s["config"]["retention.ms"])
            for s in topics.values()} == {(3, "2", "-1")}
    kafka = next(iter(of_kind(rendered, "Kafka").values()))
    pools = of_kind(rendered, "KafkaNodePool").values()
    assert sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"]) == 3
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2


def specs() -> list[ServiceSpec]:
    return [importlib.import_module(f"ksd_{s}.app").SPEC for s in SERVICES]


def test_each_service_scales_on_the_lag_of_its_own_consumer_groups(rendered: list[Object]) -> None:
    scaled = of_kind(rendered, "ScaledObject")
    for spec in specs():
        triggers = scaled[f"ksd-{spec.name}"]["spec"]["triggers"]
        assert {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in triggers if t["type"] == "kafka"} \
            == {(production(spec.group(c.topic)), production(c.topic.name)) for c in spec.consumed}, spec.name
        assert scaled[f"ksd-{spec.name}"]["spec"]["scaleTargetRef"]["name"] == f"ksd-{spec.name}"


def test_each_service_may_touch_only_its_own_topics(rendered: list[Object]) -> None:
    """As the user the service signs in as, with the password Strimzi made for that user."""
    users, deployments = of_kind(rendered, "KafkaUser"), of_kind(rendered, "Deployment")
    for spec in specs():
        [container] = deployments[f"ksd-{spec.name}"]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        signs_in_as = Settings(kafka_principals=env["KSD_KAFKA_PRINCIPALS"]["value"]).kafka_principal(spec.name)
        assert env["KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == signs_in_as
        assert json.loads(env["KSD_KAFKA_PASSWORDS"]["value"]) == {signs_in_as: "$(KAFKA_PASSWORD)"}
        acls = users[signs_in_as]["spec"]["authorization"]["acls"]
        topics = {(a["resource"]["name"], op) for a in acls if a["resource"]["type"] == "topic"
                  for op in a["operations"]}
        read = [c.topic for c in spec.consumed] + [r.topic for r in spec.reads]
        writes = {production(p.topic.name) for p in spec.publishes} | {production(t.dlq) for t in read}
        assert {t for t, op in topics if op == "Write"} == writes, spec.name
        assert {t for t, op in topics if op == "Read"} == {production(t.name) for t in read}, spec.name


def test_each_service_has_probes_a_disruption_budget_and_a_database_of_its_own(rendered: list[Object]) -> None:
    deployments, budgets = of_kind(rendered, "Deployment"), of_kind(rendered, "PodDisruptionBudget")
    roles = {r["name"] for r in next(iter(of_kind(rendered, "Cluster").values()))["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"]["owner"] for d in of_kind(rendered, "Database").values()}
    for spec in specs():
        pod = deployments[f"ksd-{spec.name}"]["spec"]["template"]
        container = pod["spec"]["containers"][0]
        assert (container["livenessProbe"]["httpGet"]["path"], container["readinessProbe"]["httpGet"]["path"]) == (
            "/healthz", "/readyz")
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        selector = budgets[f"ksd-{spec.name}"]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items()
        assert databases[spec.database] in roles
