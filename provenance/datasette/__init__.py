"""Publishing a provenance database with Datasette: the plugin (entry point ``datasette``).

:mod:`.config` is the one place the published configuration comes from; :mod:`.hooks` holds
the plugin hooks, :mod:`.pages` the source, claim and search pages.
"""

from .config import datasette_kwargs, metadata, serve_arguments
from .hooks import (
    asgi_wrapper,
    extra_css_urls,
    extra_template_vars,
    menu_links,
    prepare_connection,
    prepare_jinja2_environment,
    register_facet_classes,
    register_routes,
    render_cell,
    startup,
)

__all__ = [
    "asgi_wrapper",
    "datasette_kwargs",
    "extra_css_urls",
    "extra_template_vars",
    "menu_links",
    "metadata",
    "prepare_connection",
    "prepare_jinja2_environment",
    "register_facet_classes",
    "register_routes",
    "render_cell",
    "serve_arguments",
    "startup",
]
