from settle_importer.db import metadata
from settle_shared.migrations import run_env

run_env(metadata)
