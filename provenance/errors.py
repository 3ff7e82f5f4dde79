"""Domain exceptions. The library raises these; the CLI turns them into one-line messages."""


class ProvenanceError(Exception):
    """Base class for every expected failure of the tool."""


class InputError(ProvenanceError):
    """An input cannot be read: missing file, refused URL scheme, fetch failure, size cap."""


class IngestError(ProvenanceError):
    """Bytes were read but no ingester could turn them into a source."""


class UnsupportedInput(IngestError):
    """No ingester recognises these bytes."""


class NotProse(UnsupportedInput):
    """Text that is not prose (configuration, data, logs): skipped unless the user forces it
    (``add --as-text``)."""


class SourceNotFound(ProvenanceError):
    """A source id that is not in the database."""


class LimitExceeded(InputError):
    """An input went past a configured limit: time, bytes, decompressed bytes, pages, memory."""


class ClaimNotFound(ProvenanceError):
    """A claim id that is not in the database."""


class ExtraNotInstalled(ProvenanceError):
    """A feature needs an optional extra (``pip install 'provenance[NAME]'``) that is missing."""


class NotAnArchive(ProvenanceError):
    """A database file that holds something else than a provenance archive."""
