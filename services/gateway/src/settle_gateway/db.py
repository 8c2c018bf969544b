"""The gateway's database. Until the read model arrives it holds only the outbox and inbox."""

from settle_shared.db import new_metadata

metadata = new_metadata()
