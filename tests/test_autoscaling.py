"""A KEDA ScaledObject scales a service on the lag of every topic the service consumes: a topic
left out lets its lag grow without a replica being added."""

from pathlib import Path

import pytest
import yaml

from settle_shared.service import build_runtime, discover_services, load_service
from settle_shared.settings import ServiceSettings

pytestmark = pytest.mark.unit

BASE = Path(__file__).parents[1] / "deploy" / "k8s" / "base"
SCALED = sorted(BASE.glob("*/scaledobject.yaml"))


@pytest.mark.parametrize("path", SCALED, ids=lambda path: path.parent.name)
def test_a_scaled_object_watches_every_topic_its_service_consumes(
    path: Path, tmp_path: Path
) -> None:
    spec = load_service(path.parent.name)
    settings = spec.load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert isinstance(settings, ServiceSettings)
    runtime = build_runtime(spec, settings)
    consumed = {(c.group_id, topic) for c in runtime.consumers for topic in c.topics}
    triggers = yaml.safe_load(path.read_text())["spec"]["triggers"]
    watched = {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in triggers}
    assert consumed and watched == consumed


# Scaled on CPU by a HorizontalPodAutoscaler although they consume: what limits them is not
# the lag of what they read. The gateway answers the web app (its read model keeps up on one
# core), the importer reads files and bookkeeping APIs (the administrations it is told of
# are a trickle).
SCALED_ON_CPU = {"gateway", "importer"}


@pytest.mark.parametrize("name", sorted(discover_services()))
def test_every_service_that_consumes_scales_on_its_lag_or_is_known_to_scale_on_cpu(
    name: str, tmp_path: Path
) -> None:
    spec = load_service(name)
    settings = spec.load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert isinstance(settings, ServiceSettings)
    consumes = bool(build_runtime(spec, settings).consumers)
    folder = BASE / name
    if name in SCALED_ON_CPU:
        assert (folder / "hpa.yaml").exists() and not (folder / "scaledobject.yaml").exists()
    elif consumes:
        # Its triggers are compared with its consumers by the test above.
        assert folder / "scaledobject.yaml" in SCALED
    else:
        assert (folder / "hpa.yaml").exists(), f"{name} has no autoscaler"
