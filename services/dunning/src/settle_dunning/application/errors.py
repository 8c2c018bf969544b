"""Refusals of the dunning use cases that are not domain rules: unknown things, conflicts."""

from settle_dunning.domain import DunningError


class NotFound(DunningError):
    """Something addressed by id does not exist in the administration."""

    def __init__(self, kind: str, identifier: str) -> None:
        self.kind = kind
        self.identifier = identifier
        super().__init__(f"unknown {kind} {identifier!r}")


class FlowExists(DunningError):
    """A flow with this id already exists."""

    def __init__(self, flow_id: str) -> None:
        super().__init__(f"flow {flow_id!r} already exists; replace it with PUT")


class FlowInUse(DunningError):
    """A flow cannot be deleted while open invoices run on it, nor the last flow at all."""

    def __init__(self, flow_id: str, why: str) -> None:
        super().__init__(f"flow {flow_id!r} cannot be deleted: {why}")


class InvalidFact(DunningError):
    """An importer fact that can never be applied (it goes to the dead-letter topic)."""
