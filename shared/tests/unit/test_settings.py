import pytest
from pydantic_settings import SettingsConfigDict

from settle_shared.settings import ServiceSettings, SettingsError, load_settings

pytestmark = pytest.mark.unit


REAL_SECRET = "a-real-secret-of-32-bytes-or-more"


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SETTLE_EXAMPLE_", extra="ignore", frozen=True)


def test_settings_come_from_variables_with_the_service_prefix(monkeypatch):
    monkeypatch.setenv("SETTLE_EXAMPLE_HTTP_PORT", "8123")
    monkeypatch.setenv("SETTLE_EXAMPLE_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    settings = load_settings(ExampleSettings)
    assert settings.http_port == 8123
    assert settings.kafka_bootstrap_servers == "kafka:9092"


def test_an_invalid_value_is_reported_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("SETTLE_EXAMPLE_HTTP_PORT", "eighty")
    with pytest.raises(SettingsError, match="SETTLE_EXAMPLE_HTTP_PORT"):
        load_settings(ExampleSettings)


def test_production_refuses_the_placeholder_secret(monkeypatch):
    monkeypatch.setenv("SETTLE_EXAMPLE_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="service_token"):
        load_settings(ExampleSettings)
    monkeypatch.setenv("SETTLE_EXAMPLE_SERVICE_TOKEN", REAL_SECRET)
    assert load_settings(ExampleSettings).environment == "production"


def test_production_refuses_any_secret_left_at_its_placeholder(monkeypatch):
    from pydantic import Field, SecretStr

    from settle_shared.settings import PLACEHOLDER_SECRET

    class WithSigningKey(ExampleSettings):
        signing_key: SecretStr = Field(SecretStr(f"{PLACEHOLDER_SECRET}-signing-dev"))

    monkeypatch.setenv("SETTLE_EXAMPLE_ENVIRONMENT", "production")
    monkeypatch.setenv("SETTLE_EXAMPLE_SERVICE_TOKEN", REAL_SECRET)
    with pytest.raises(SettingsError, match="signing_key: set a real secret in production"):
        load_settings(WithSigningKey)
    monkeypatch.setenv("SETTLE_EXAMPLE_SIGNING_KEY", "another-" + REAL_SECRET)
    assert load_settings(WithSigningKey).environment == "production"


def test_production_refuses_a_short_secret(monkeypatch):
    monkeypatch.setenv("SETTLE_EXAMPLE_ENVIRONMENT", "production")
    monkeypatch.setenv("SETTLE_EXAMPLE_SERVICE_TOKEN", "x")
    with pytest.raises(SettingsError, match="service_token: use at least 32 bytes"):
        load_settings(ExampleSettings)
    monkeypatch.setenv("SETTLE_EXAMPLE_SERVICE_TOKEN", "x" * 31)
    with pytest.raises(SettingsError, match=r"at least 32 bytes in production \(it has 31\)"):
        load_settings(ExampleSettings)
    monkeypatch.setenv("SETTLE_EXAMPLE_SERVICE_TOKEN", "x" * 32)
    assert load_settings(ExampleSettings).environment == "production"
    # Development keeps its short defaults.
    monkeypatch.setenv("SETTLE_EXAMPLE_ENVIRONMENT", "development")
    monkeypatch.setenv("SETTLE_EXAMPLE_SERVICE_TOKEN", "x")
    assert load_settings(ExampleSettings).environment == "development"
