pytest_plugins = ["settle_shared.testing.fixtures"]
