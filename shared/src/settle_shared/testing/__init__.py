"""Test support for every service's tests; the fixtures load as `settle_shared.testing.fixtures`."""
