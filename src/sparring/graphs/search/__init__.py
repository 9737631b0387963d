"""Search graphs: test-time search over solution steps, guided by a critic."""

from __future__ import annotations

__all__: list[str] = []
