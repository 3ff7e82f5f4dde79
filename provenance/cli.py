"""The command line: parse, call the library, print text or --json. No logic of its own."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from . import __version__
from .db import default_path, get_source, list_claims, list_sources, open_db
from .errors import ProvenanceError
from .export import DEFAULT_BASE_URL, FORMATS
from .inputs import Limits

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    envvar="PROVENANCE_DB",
    default=None,
    help="Database file (default: $PROVENANCE_DB or ./provenance.db).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")


def _open(db_path: str | None):
    try:
        return open_db(db_path or default_path())
    except Exception as exc:  # sqlite3 errors: a folder, a non-database file, no permission
        raise click.ClickException(
            f"cannot open database {db_path or default_path()}: {exc}"
        ) from None


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _table(rows: list[dict[str, Any]], columns: list[str], widths: dict[str, int]) -> None:
    for row in rows:
        cells = []
        for column in columns:
            value = "" if row.get(column) is None else str(row[column])
            width = widths.get(column)
            if width:
                value = (value[: width - 1] + "…") if len(value) > width else value.ljust(width)
            cells.append(value)
        click.echo("  ".join(cells).rstrip())


@click.group()
@click.version_option(__version__, prog_name="provenance")
@click.option("-v", "--verbose", is_flag=True, help="Show the parsers' warnings and details.")
def cli(verbose: bool) -> None:
    """Who reported a claim, exactly where, and where they got it from.

    \b
    Example:
        provenance add sources/
        provenance claims --json
        provenance serve
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    if not verbose:
        # Parsers warn about every odd font or date; failures reach the user as one line each.
        for name in ("pypdf", "trafilatura", "htmldate", "charset_normalizer", "courlan"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@db_option
@json_option
@click.option(
    "--max-bytes",
    type=int,
    default=Limits.max_bytes,
    show_default=True,
    help="Refuse inputs larger than this.",
)
@click.option(
    "--timeout",
    type=float,
    default=Limits.timeout,
    show_default=True,
    help="Seconds allowed for fetching one URL.",
)
def add(
    inputs: tuple[str, ...], db_path: str | None, as_json: bool, max_bytes: int, timeout: float
) -> None:
    """Add files, folders (recursively) and http(s) URLs to the database.

    Each input is stored whole or not at all; an input that fails is recorded with its error
    and the rest go on. Adding the same bytes again changes nothing and says "unchanged".
    Exits with status 1 when any input failed.

    \b
    Example:
        provenance add sources/ https://example.org/story.html --json
    """
    from .pipeline import add as add_inputs

    db = _open(db_path)
    counts = {"added": 0, "unchanged": 0, "failed": 0}
    results = []
    for result in add_inputs(db, inputs, Limits(max_bytes=max_bytes, timeout=timeout)):
        counts[result.status] += 1
        if as_json:
            results.append(result.as_dict())
        elif result.status == "failed":
            click.echo(f"failed     {result.input}: {result.error}", err=True)
        else:
            indent = "  " if result.parent_id else ""
            click.echo(
                f"{result.status:<10} {indent}#{result.source_id} {result.kind}: "
                f"{result.title or '(untitled)'}  [{result.input}]"
            )
    if as_json:
        _print_json(results)
    click.echo(
        f"{counts['added']} added, {counts['unchanged']} unchanged, {counts['failed']} failed",
        err=True,
    )
    if counts["failed"]:
        sys.exit(1)


@cli.command()
@db_option
@json_option
def sources(db_path: str | None, as_json: bool) -> None:
    """List the stored sources.

    \b
    Example:
        provenance sources --json
    """
    rows = list_sources(_open(db_path))
    if as_json:
        _print_json(rows)
        return
    _table(
        rows,
        ["id", "kind", "published", "reference_id", "title"],
        {"id": 6, "kind": 6, "published": 20, "reference_id": 18, "title": 70},
    )


@cli.command()
@click.argument("source_id", type=int)
@db_option
@json_option
def show(source_id: int, db_path: str | None, as_json: bool) -> None:
    """Show one source: its fields, text layer and claims.

    \b
    Example:
        provenance show 3 --json
    """
    try:
        source = get_source(_open(db_path), source_id)
    except ProvenanceError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        _print_json(source)
        return
    listed = ("claims", "attributions", "quotes")
    for key, value in source.items():
        if key not in ("text", "metadata", *listed) and value not in (None, "", []):
            click.echo(f"{key}: {value}")
    click.echo(", ".join(f"{key}: {len(source.get(key, []))}" for key in listed) + "\n")
    click.echo(source["text"])


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8", errors="replace"), default="-")
@click.option("--lines", is_flag=True, help="Each line of the input is one sentence.")
@json_option
def score(file: Any, lines: bool, as_json: bool) -> None:
    """Score the sentences of a text as check-worthy claims, without storing anything.

    Reads FILE, or standard input when FILE is - or absent. Offsets (start, end) are
    code-point offsets into the text as read. With --json: one object per sentence with
    text, start, end, score and is_claim.

    \b
    Example:
        provenance score transcript.txt --json
        pbpaste | provenance score --lines
    """
    from .claims import score_text

    scored = score_text(file.read(), lines=lines)
    if as_json:
        _print_json([s.as_dict() for s in scored])
        return
    for s in scored:
        click.echo(f"{s.score:.3f}  {'claim' if s.is_claim else '     '}  {s.text}")


@cli.command()
@click.option("--source", "source_id", type=int, help="Only the claims of this source.")
@db_option
@json_option
def claims(source_id: int | None, db_path: str | None, as_json: bool) -> None:
    """List claims with their spans, scores and attribution.

    \b
    Example:
        provenance claims --source 3 --json
    """
    rows = list_claims(_open(db_path), source_id)
    if as_json:
        _print_json(rows)
        return
    _table(
        rows,
        ["id", "source_id", "score", "attributed_to", "text"],
        {"id": 6, "source_id": 6, "score": 6, "attributed_to": 24, "text": 90},
    )


@cli.command()
@db_option
@json_option
def verify(db_path: str | None, as_json: bool) -> None:
    """Check the archive: blob hashes, text hashes, claim spans and the event chain.

    Exits with status 1 on any failure, naming what failed. This proves integrity since
    capture, not authenticity at origin.

    \b
    Example:
        provenance verify --json
    """
    from .verify import verify as run_verify

    report = run_verify(_open(db_path).conn)
    if as_json:
        _print_json(report.as_dict())
    else:
        checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
        for problem in report.problems:
            click.echo(f"FAIL {problem.check}: {problem.message}", err=True)
        click.echo(
            ("ok: " if report.ok else f"{len(report.problems)} problems; ") + f"checked {checked}"
        )
    if not report.ok:
        sys.exit(1)


@cli.command()
@db_option
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Host to bind to.")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="Port to bind to.")
@click.option(
    "--live",
    is_flag=True,
    help="Serve a database that is still being added to (read-only, not immutable).",
)
def serve(db_path: str | None, host: str, port: int, live: bool) -> None:
    """Publish the database with Datasette, read-only.

    The database is served immutable (a snapshot: no locks, cached counts) unless --live is
    given or another process is writing to it. Pages: /DB/-/search, /DB/-/source/ID and
    /DB/-/claim/ID besides Datasette's tables and stored queries.

    \b
    Example:
        provenance serve --port 8001
    """
    from datasette.cli import cli as datasette_cli

    from .datasette import serve_arguments
    from .datasette.serving import checkpoint, write_inspect_file

    path = Path(db_path or default_path())
    if not path.exists():
        raise click.ClickException(f"no database at {path}: run `provenance add` first")
    _open(str(path)).conn.close()  # migrate before serving
    immutable = not live and checkpoint(path)
    if not live and not immutable:
        click.echo("Another process is writing: serving read-only, not immutable.", err=True)
    with tempfile.TemporaryDirectory(prefix="provenance-serve-") as folder:
        inspect_file = (
            write_inspect_file(path, Path(folder) / "inspect.json") if immutable else None
        )
        args = serve_arguments(path, Path(folder), immutable=immutable, inspect_file=inspect_file)
        click.echo(
            f"Serving {path} ({'immutable' if immutable else 'read-only'}) at http://{host}:{port}/",
            err=True,
        )
        datasette_cli.main(
            [*args, "--host", host, "--port", str(port)], prog_name="provenance serve"
        )


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="W3C Web Annotation JSON-LD, PROV-JSON, schema.org Claim JSON-LD or CSV.",
)
@click.option("--source", "source_id", type=int, help="Only the claims of this source.")
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="Address the database is published at (`provenance serve`): identifiers and links "
    "are built from it.",
)
@click.option(
    "-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="File to write."
)
@db_option
def export(
    fmt: str, source_id: int | None, base_url: str, output: Any, db_path: str | None
) -> None:
    """Export claims with their sources in a standard format.

    annotation: W3C Web Annotation collection (TextQuote and TextPosition selectors, capture
    date and archived copy); prov: PROV-JSON (captures, sources, claims, quotations, ingest
    runs and the tool version); claimreview: schema.org Claim items with appearance and
    firstAppearance, ready for a ClaimReview; csv: one row per claim.

    \b
    Example:
        provenance export --format annotation --source 3 -o claims.jsonld
    """
    from .export import export as run_export

    path = Path(db_path or default_path())
    db = _open(str(path))
    try:
        count = run_export(
            db.conn, fmt, output, source_id=source_id, base_url=base_url, database=path.stem
        )
    except ProvenanceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} claims exported as {fmt}", err=True)
