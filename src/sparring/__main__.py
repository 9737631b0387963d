"""``python -m sparring``: the same as the ``sparring`` command."""

from sparring.cli import main

main()
