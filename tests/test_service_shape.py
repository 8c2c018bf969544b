"""Every service has the same shape, so a reader who knows one knows them all.

The shape (docs/architecture.md, "The shape of a service"):

    services/<name>/src/settle_<name>/
      app.py  settings.py  errors.py     wiring, configuration, errors mapped to HTTP and DLT
      api.py  cli.py                     entry points (optional): the internal API, commands
      domain/                            the rules: plain Python, no I/O
      application/context.py             the use cases and the context they run in
      adapters/tables.py                 the database, repositories, clients, sources
      <concept>/views.py service.py      a package per concept (the gateway): routes, queries

A new service is right from its first commit: this test walks `services/*/src`.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SERVICES = Path(__file__).parents[1] / "services"

REQUIRED = (
    "__init__.py",
    "app.py",
    "settings.py",
    "errors.py",
    "domain/__init__.py",
    "application/__init__.py",
    "application/context.py",
    "adapters/__init__.py",
    "adapters/tables.py",
)
TOP_LEVEL_MODULES = {"__init__", "app", "settings", "errors", "api", "cli"}
LAYERS = {"domain", "application", "adapters"}
CONCEPT_MODULES = ("views.py", "service.py")
TEST_LAYERS = {"unit", "service", "integration", "data"}

# What the domain never touches: databases, brokers, HTTP, mail.
IO_LIBRARIES = {
    "sqlalchemy",
    "fastapi",
    "starlette",
    "faststream",
    "aiokafka",
    "httpx",
    "aiosmtplib",
    "asyncpg",
    "aiosqlite",
}


@dataclass(frozen=True)
class Service:
    name: str
    package: Path

    @property
    def module(self) -> str:
        return self.package.name

    def modules(self, folder: str = "") -> list[Path]:
        return sorted((self.package / folder).rglob("*.py"))


def services() -> list[Service]:
    found = []
    for source in sorted(SERVICES.glob("*/src")):
        packages = [p for p in source.iterdir() if (p / "__init__.py").exists()]
        assert len(packages) == 1, f"{source} holds one package, not {packages}"
        found.append(Service(source.parent.name, packages[0]))
    return found


SERVICE_LIST = services()


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) for every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, list[str], int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                parts = base.relative_to(path.parents[len(path.parents) - 1]).parts
                src = parts.index("src")
                module = ".".join([*parts[src + 1 :], *([module] if module else [])])
            found.append((module, [alias.name for alias in node.names], node.lineno))
    return found


def where(service: Service, path: Path, line: int) -> str:
    return f"{path.relative_to(service.package.parent)}:{line}"


@pytest.fixture(params=SERVICE_LIST, ids=lambda s: s.name)
def service(request: pytest.FixtureRequest) -> Service:
    return request.param


def test_every_service_has_the_same_places(service: Service) -> None:
    missing = [name for name in REQUIRED if not (service.package / name).exists()]
    assert not missing, f"{service.name} lacks {missing}"


def test_nothing_else_at_the_top_of_a_service(service: Service) -> None:
    strays = []
    for entry in service.package.iterdir():
        if entry.name == "__pycache__":
            continue
        if entry.is_file() and entry.suffix == ".py" and entry.stem not in TOP_LEVEL_MODULES:
            strays.append(entry.name)
        elif entry.is_dir() and any(entry.rglob("*.py")) and entry.name not in LAYERS:
            lacking = [name for name in CONCEPT_MODULES if not (entry / name).exists()]
            if lacking:
                strays.append(f"{entry.name}/ (a concept package has {CONCEPT_MODULES})")
    assert not strays, (
        f"{service.name}: {strays} belong in domain/, application/ or adapters/ "
        "(or are a concept package)"
    )


def test_the_domain_does_no_io(service: Service) -> None:
    own = service.module
    wrong = []
    for path in service.modules("domain"):
        for module, _, line in imports(path):
            root = module.split(".")[0]
            inner = module.split(".")[1] if module.startswith(own + ".") else ""
            if root in IO_LIBRARIES or (inner and inner != "domain"):
                wrong.append(f"{where(service, path, line)} imports {module}")
    assert not wrong, "the domain is plain Python:\n" + "\n".join(wrong)


def test_use_cases_build_no_sql_and_take_no_kafka_records(service: Service) -> None:
    tables = f"{service.module}.adapters.tables"
    wrong = []
    for path in service.modules("application"):
        for module, names, line in imports(path):
            sql = module.startswith("sqlalchemy") and not module.startswith("sqlalchemy.ext")
            if sql or module == tables or (module.endswith(".adapters") and "tables" in names):
                wrong.append(f"{where(service, path, line)} imports {module} (SQL is an adapter's)")
            if module == "settle_shared.consumer":
                wrong.append(f"{where(service, path, line)} takes Kafka records ({module})")
    assert not wrong, "\n".join(wrong)


# Services whose application/ still names an adapter: the gateway's context types its upstream
# clients with adapters.upstream.Upstreams (a port for them is the gateway's to add).
def test_use_cases_talk_to_ports_not_adapters(service: Service) -> None:
    # The use cases get their repositories and sources through application/ports.py; the
    # wiring (app.py) hands the adapters to the context, so application/ imports none of them.
    adapters = f"{service.module}.adapters"
    wrong = []
    for path in service.modules("application"):
        for module, _, line in imports(path):
            if module == adapters or module.startswith(adapters + "."):
                wrong.append(f"{where(service, path, line)} imports {module}")
    assert not wrong, "application/ talks to ports, not adapters:\n" + "\n".join(wrong)


def test_no_service_reaches_into_another(service: Service) -> None:
    others = {s.module for s in SERVICE_LIST} - {service.module}
    wrong = []
    for path in service.modules():
        for module, names, line in imports(path):
            root = module.split(".")[0]
            if root in others:
                wrong.append(f"{where(service, path, line)} imports {module}")
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and root != service.module:
                wrong.append(f"{where(service, path, line)} imports private {private}")
    assert not wrong, "\n".join(wrong)


def test_no_private_name_of_another_package_is_reached_through_its_module(
    service: Service,
) -> None:
    wrong = []
    for path in service.modules():
        tree = ast.parse(path.read_text(), str(path))
        # Names bound to another package's modules: `from settle_shared.events import importer`.
        foreign = {
            alias.asname or alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            and not (getattr(node, "module", None) or "").startswith(service.module)
            and not getattr(node, "level", 0)
            for alias in node.names
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in foreign
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                wrong.append(
                    f"{where(service, path, node.lineno)} uses {node.value.id}.{node.attr}"
                )
    assert not wrong, "\n".join(wrong)


def test_errors_map_to_http_and_to_dead_letters(service: Service) -> None:
    errors = importlib.import_module(f"{service.module}.errors")
    statuses = errors.STATUS_BY_ERROR
    assert statuses and all(
        issubclass(error, Exception) and 400 <= status < 600 for error, status in statuses
    )
    assert all(issubclass(error, Exception) for error in errors.DEAD_LETTER_ERRORS)


def test_tests_are_in_layers(service: Service) -> None:
    folders = {p.name for p in (service.package.parents[1] / "tests").iterdir() if p.is_dir()} - {
        "__pycache__"
    }
    assert folders <= TEST_LAYERS, f"{service.name}/tests has {folders - TEST_LAYERS}"
