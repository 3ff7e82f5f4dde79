"""The compiled core (provenance/_core.c), built by ``pip install`` where a C compiler is.

Everything else about the package is in pyproject.toml. The extension is optional: where it
cannot be built the install goes on and provenance runs its pure-Python twins of the same
functions (provenance/compiled.py), which give identical results, only slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "provenance._core",
            ["provenance/_core.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
