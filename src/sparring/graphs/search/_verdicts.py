"""Feeding a finished solution's critique back into the steps it passed through.

The critique of a finished solution marks every one of its steps; those marks are second
opinions on steps the critic already valued one at a time, so each is averaged into the
step's value. A step the step critic let through but the critique flags loses its standing,
and the search stops digging under it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sparring.graphs.search._moves import split_step
from sparring.graphs.search._tree import SearchNode, add_verdict, path_to

__all__ = ["remark"]


def remark(tree: Sequence[SearchNode], leaf: SearchNode, marks: Sequence[bool]) -> bool:
    """Average the critique's ``marks`` into the steps above ``leaf``.

    The marks are matched to the steps in order; when their number differs from the path's
    (the critic split the solution differently), nothing is changed.

    Returns:
        Whether the marks were applied.
    """
    path = path_to(tree, leaf)
    sizes = [len(split_step(n["step"])) for n in path]
    if sum(sizes) != len(marks):
        return False
    at = 0
    for node, size in zip(path, sizes, strict=True):
        own = marks[at : at + size]
        at += size
        if node is leaf or not own:
            continue  # the leaf's own value is the outcome itself
        add_verdict(node, 1.0 if all(own) else 0.0)
    return True
