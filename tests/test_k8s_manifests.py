"""The Kubernetes base deploys what the service registry (the settle.services entry points)
declares, and its NetworkPolicies let exactly the calls the services' settings make: a new
service, a new secret or a new internal call forgotten in deploy/k8s fails here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from settle_shared.service import ServiceSpec, discover_services

pytestmark = pytest.mark.unit

K8S = Path(__file__).parents[1] / "deploy" / "k8s"
BASE = K8S / "base"
SPECS = discover_services()
# The only ways in from outside the namespace: the gateway (API, web app, debtor portal) and
# messaging's inbound SMTP.
PUBLIC = {("settle-gateway", 8000), ("settle-messaging", 2525)}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def http_port(spec: ServiceSpec) -> int:
    return int(spec.settings_cls.model_fields["http_port"].default)


def literals(name: str) -> dict[str, str]:
    kustomization = documents(BASE / name / "kustomization.yaml")[0]
    config = next(
        c for c in kustomization["configMapGenerator"] if c["name"] == f"settle-{name}-config"
    )
    return dict(literal.split("=", 1) for literal in config["literals"])


def container(path: Path) -> dict[str, Any]:
    return dict(documents(path)[0]["spec"]["template"]["spec"]["containers"][0])


def required_secrets(spec: ServiceSpec) -> list[str]:
    """The secrets production refuses to start without (optional ones default to None)."""
    return [
        field
        for field, info in spec.settings_cls.model_fields.items()
        if isinstance(info.default, SecretStr)
    ]


POLICIES = [
    doc
    for path in sorted((BASE / "network-policies").glob("*.yaml"))
    if path.name != "kustomization.yaml"
    for doc in documents(path)
]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", "only In is read by this test"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def server(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "server"}


def ingress_rules(pod: dict[str, str]) -> Iterator[dict[str, Any]]:
    for policy in POLICIES:
        if "Ingress" in policy["spec"]["policyTypes"] and selects(
            policy["spec"]["podSelector"], pod
        ):
            yield from policy["spec"].get("ingress", [])


def egress_rules(pod: dict[str, str]) -> Iterator[dict[str, Any]]:
    for policy in POLICIES:
        if "Egress" in policy["spec"]["policyTypes"] and selects(
            policy["spec"]["podSelector"], pod
        ):
            yield from policy["spec"].get("egress", [])


def admits(rule: dict[str, Any], port: int, peer: dict[str, str], direction: str) -> bool:
    if port not in {p["port"] for p in rule.get("ports", [])}:
        return False
    peers = rule.get(direction)
    return peers is None or any(
        "podSelector" in p and "namespaceSelector" not in p and selects(p["podSelector"], peer)
        for p in peers
    )


def test_every_registered_service_is_deployed_by_the_base_and_both_overlays() -> None:
    resources = documents(BASE / "kustomization.yaml")[0]["resources"]
    for overlay in ("dev", "production"):
        images = documents(K8S / "overlays" / overlay / "kustomization.yaml")[0]["images"]
        assert {image["name"] for image in images} == {f"settle-{name}" for name in SPECS}
    assert {r for r in resources if (BASE / r / "deployment.yaml").exists()} == set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_service_is_served_on_its_port_and_migrated(name: str) -> None:
    spec = SPECS[name]
    serving = container(BASE / name / "deployment.yaml")
    assert serving["args"][:2] == ["serve", name]
    assert {"name": "http", "containerPort": http_port(spec)} in serving["ports"]
    assert literals(name)[f"{spec.env_prefix}HTTP_PORT"] == str(http_port(spec))
    assert container(BASE / name / "migrate-job.yaml")["args"] == ["migrate", name]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_production_secrets_come_from_the_services_secret(name: str) -> None:
    spec = SPECS[name]
    examples = {
        doc["metadata"]["name"]: doc["stringData"]
        for doc in documents(K8S / "examples" / "secrets.example.yaml")
    }
    for manifest in ("deployment.yaml", "migrate-job.yaml"):
        env = {e["name"]: e.get("valueFrom", {}) for e in container(BASE / name / manifest)["env"]}
        for field in required_secrets(spec):
            variable = f"{spec.env_prefix}{field.upper()}"
            ref = env.get(variable, {}).get("secretKeyRef")
            assert ref and not ref.get("optional"), f"{manifest} of {name}: {variable}"
            assert ref["key"] in examples[ref["name"]], f"example Secret {ref['name']}"


CALLS = sorted(
    (caller, callee)
    for caller, spec in SPECS.items()
    for callee in SPECS
    if f"{callee}_url" in spec.settings_cls.model_fields
)


def test_the_services_call_each_other() -> None:
    # The parametrised test below would pass on nothing if the settings were renamed.
    assert ("gateway", "importer") in CALLS and ("collection", "messaging") in CALLS


@pytest.mark.parametrize(("caller", "callee"), CALLS, ids="->".join)
def test_a_call_between_services_is_configured_and_let_through(caller: str, callee: str) -> None:
    port = http_port(SPECS[callee])
    variable = f"{SPECS[caller].env_prefix}{callee.upper()}_URL"
    assert literals(caller).get(variable) == f"http://settle-{callee}:{port}"
    source, target = server(f"settle-{caller}"), server(f"settle-{callee}")
    assert any(admits(rule, port, source, "from") for rule in ingress_rules(target))
    assert any(admits(rule, port, target, "to") for rule in egress_rules(source))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_an_internal_api_admits_only_its_callers(name: str) -> None:
    callers = {caller for caller, callee in CALLS if callee == name}
    for rule in ingress_rules(server(f"settle-{name}")):
        for port in (p["port"] for p in rule["ports"]):
            if (f"settle-{name}", port) in PUBLIC:
                continue
            assert "from" in rule, f"settle-{name}:{port} is open to any source"
            for peer in rule["from"]:
                assert set(peer) == {"podSelector"}, f"settle-{name}:{port} admits {peer}"
                admitted = {s for s in SPECS if selects(peer["podSelector"], server(f"settle-{s}"))}
                assert admitted <= callers, f"settle-{name}:{port} admits {admitted - callers}"


def test_only_the_gateway_and_inbound_smtp_are_reachable_from_outside() -> None:
    opened = set()
    for policy in POLICIES:
        for rule in policy["spec"].get("ingress", []):
            peers = rule.get("from")
            if peers is None or any("namespaceSelector" in p or "ipBlock" in p for p in peers):
                labels = policy["spec"]["podSelector"]["matchLabels"]
                opened |= {(labels["app.kubernetes.io/name"], p["port"]) for p in rule["ports"]}
    assert opened == PUBLIC


def test_every_pod_is_denied_what_no_policy_allows() -> None:
    deny = [p for p in POLICIES if p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]]
    assert any(set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in deny)


def test_the_importers_files_are_on_its_shared_volume() -> None:
    claim = documents(BASE / "importer" / "files-pvc.yaml")[0]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    patch = documents(BASE / "importer" / "files-patch.yaml")[0]
    volume = next(op["value"] for op in patch if op["path"].endswith("/volumes/-"))
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    mount = next(op["value"] for op in patch if op["path"].endswith("/volumeMounts/-"))
    assert mount["name"] == volume["name"]
    config = literals("importer")
    for variable in ("SETTLE_IMPORTER_INBOX_DIR", "SETTLE_IMPORTER_UPLOADS_DIR"):
        assert Path(config[variable]).is_relative_to(mount["mountPath"]), variable
