"""GraphQL types of the root compare field: one entry per strategy id asked for."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.types.comparison import Comparison
from schema.types.strategies import Strategy


@strawberry.type(description="A strategy and its comparison with the benchmark.")
class ComparedStrategy:
    strategy: Strategy
    comparison: Comparison


@strawberry.type(
    description=(
        "No strategy with this id is visible to the caller: it does not exist or may not be "
        "read (deliberately indistinguishable)."
    )
)
class StrategyUnavailable:
    id: strawberry.ID
    message: str


CompareEntry = Annotated[ComparedStrategy | StrategyUnavailable, strawberry.union("CompareEntry")]
