"""docker-compose.yml runs what the service registry (the settle.services entry points, the
same that `settle up` starts) declares: every service with its migration job, its own
database, the topics its consumers read and the settings production requires. A service added
to the registry but forgotten in the compose file fails here."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from settle_shared.kafka import catalogue_topics
from settle_shared.service import ServiceSpec, build_runtime, discover_services
from settle_shared.settings import ServiceSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
INIT_SQL = (ROOT / "deploy" / "compose" / "postgres-init.sql").read_text()
SPECS = discover_services()
# Containers that are not Settle services: the infrastructure and the PSP stand-in.
INFRASTRUCTURE = {"kafka", "postgres", "mailpit", "local-psp"}


def http_port(spec: ServiceSpec) -> int:
    return int(spec.settings_cls.model_fields["http_port"].default)


def environment(name: str) -> dict[str, str]:
    return {key: str(value) for key, value in COMPOSE[name].get("environment", {}).items()}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_registered_service_is_served_after_its_migration_and_the_topics(
    name: str,
) -> None:
    spec = SPECS[name]
    service, migrate = COMPOSE.get(name), COMPOSE.get(f"migrate-{name}")
    assert service is not None, f"docker-compose.yml has no service {name!r}"
    assert migrate is not None, f"docker-compose.yml has no job 'migrate-{name}'"
    assert service["command"] == ["serve", name]
    assert migrate["command"] == ["migrate", name]
    assert service["build"]["args"]["SERVICE"] == migrate["build"]["args"]["SERVICE"] == name
    env = environment(name)
    assert env[f"{spec.env_prefix}HTTP_PORT"] == str(http_port(spec))
    assert f"127.0.0.1:{http_port(spec)}/health/ready" in " ".join(service["healthcheck"]["test"])
    assert service["depends_on"][f"migrate-{name}"]["condition"] == "service_completed_successfully"
    assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_the_compose_file_runs_no_service_the_registry_does_not_know() -> None:
    settle = set(COMPOSE) - INFRASTRUCTURE - {"topics"}
    for name in settle:
        built = COMPOSE[name]["build"]["args"]["SERVICE"]
        assert built in SPECS, f"{name} builds {built!r}, which no installed service registers"
        command = COMPOSE[name]["command"]
        assert command[1] == built, f"{name} runs {command} from the image of {built}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_service_migrates_and_uses_its_own_database(name: str) -> None:
    prefix = SPECS[name].env_prefix
    database = f"settle_{name}"
    assert f"CREATE ROLE {database} LOGIN" in INIT_SQL
    assert f"CREATE DATABASE {database} OWNER {database};" in INIT_SQL
    for container in (name, f"migrate-{name}"):
        url = environment(container)[f"{prefix}DATABASE_URL"]
        assert re.fullmatch(
            rf"postgresql\+asyncpg://{database}:[^@]+@postgres:5432/{database}", url
        )


def test_postgres_creates_no_database_of_a_service_that_does_not_exist() -> None:
    created = set(re.findall(r"CREATE DATABASE settle_(\w+) ", INIT_SQL))
    assert created == set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_topics_job_creates_what_the_service_consumes_with_its_partitions(
    name: str, tmp_path: Path
) -> None:
    spec = SPECS[name]
    settings = spec.load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert isinstance(settings, ServiceSettings)
    consumed = {
        topic for consumer in build_runtime(spec, settings).consumers for topic in consumer.topics
    }
    # `settle topics create` creates the whole catalogue; a topic outside it would be missing.
    assert consumed <= set(catalogue_topics())
    command = COMPOSE["topics"]["command"]
    assert command[:2] == ["topics", "create"]
    partitions = command[command.index("--partitions") + 1]
    assert environment(name)[f"{spec.env_prefix}KAFKA_PARTITIONS"] == partitions


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_service_reaches_the_services_it_calls_by_their_compose_names(name: str) -> None:
    spec = SPECS[name]
    env = environment(name)
    for callee in SPECS:
        if f"{callee}_url" in spec.settings_cls.model_fields:
            url = env.get(f"{spec.env_prefix}{callee.upper()}_URL")
            assert url == f"http://{callee}:{http_port(SPECS[callee])}", (
                f"{name} calls {callee}: set {spec.env_prefix}{callee.upper()}_URL"
            )


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_container_starts_with_production_settings(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Production refuses a missing or placeholder secret: loading the settings from exactly
    # the compose environment is what the container does first.
    spec = SPECS[name]
    for container in (name, f"migrate-{name}"):
        with monkeypatch.context() as patched:
            for key in list(os.environ):
                if key.startswith(spec.env_prefix):
                    patched.delenv(key)
            for key, value in environment(container).items():
                patched.setenv(key, value)
            settings = spec.load_settings()
        assert settings.environment == "production"
        required = [
            field
            for field, info in spec.settings_cls.model_fields.items()
            if isinstance(info.default, SecretStr)
        ]
        assert required and all(
            f"{spec.env_prefix}{field.upper()}" in environment(container) for field in required
        )
