"""provenance: who reported a claim, exactly where, and where they got it from."""

__version__ = "0.3.0"
