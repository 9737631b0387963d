"""The run store and what is computed from it: events, verdicts, pairs, ratings, game records.

Submodules are imported on demand (``from sparring.memory.ratings import bradley_terry``);
importing this package pulls in nothing heavy.
"""

__all__: list[str] = []
