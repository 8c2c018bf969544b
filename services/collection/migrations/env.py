from settle_collection.adapters.tables import metadata
from settle_shared.migrations import run_env

run_env(metadata)
