"""``python -m provenance``: the command line, as the ``provenance`` entry point."""

from .cli import main

main()
