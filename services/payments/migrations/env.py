from settle_payments.adapters.tables import metadata
from settle_shared.migrations import run_env

run_env(metadata)
