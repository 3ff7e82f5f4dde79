"""Publishing a provenance database with Datasette.

:func:`metadata` is the one place the published configuration (titles, descriptions, labels,
facets, search) comes from.
"""

from .config import metadata

__all__ = ["metadata"]
