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
    for key, value in source.items():
        if key not in ("text", "claims", "metadata") and value not in (None, "", []):
            click.echo(f"{key}: {value}")
    click.echo(f"claims: {len(source['claims'])}\n")
    click.echo(source["text"])


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
@click.argument("text")
@db_option
@json_option
@click.option("--limit", default=200, show_default=True, help="At most this many claims.")
def who(text: str, db_path: str | None, as_json: bool, limit: int) -> None:
    """Who reported TEXT: every stored claim stating it, earliest published first.

    Matches exact repeats, near-duplicates (a changed word, page furniture inside) and
    paraphrases (the same fact in other words).

    \b
    Example:
        provenance who "a dozen officers were injured, according to police" --json
    """
    from .linking import who as find_who

    rows = find_who(_open(db_path).conn, text, limit=limit)
    if as_json:
        _print_json(rows)
        return
    if not rows:
        click.echo("no stored claim states this", err=True)
    _table(
        rows,
        ["published", "source_id", "relation", "score", "title", "text"],
        {"published": 20, "source_id": 6, "relation": 10, "score": 6, "title": 36, "text": 80},
    )


@cli.command()
@click.argument("claim_id", type=int)
@db_option
@json_option
def trace(claim_id: int, db_path: str | None, as_json: bool) -> None:
    """Trace a claim to its primary source: what it quotes, attributes to and cites.

    Each step names the source, the exact span reached and how (quotes, attributes to,
    cites, repeats); a quotation shows its differences from the original.

    \b
    Example:
        provenance trace 12 --json
    """
    from .linking import trace as trace_claim

    try:
        steps = trace_claim(_open(db_path).conn, claim_id)
    except ProvenanceError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        _print_json(steps)
        return
    for step in steps:
        indent = "  " * step["depth"]
        where = f"[{step['start']}:{step['end']}]" if step["start"] is not None else ""
        score = f" {step['score']:.2f}" if step["score"] is not None else ""
        click.echo(
            f"{indent}{step['relation']}{score} -> #{step['source_id']} "
            f"{step['title'] or '(untitled)'} ({step['published'] or 'undated'}) {where}"
        )
        if step["text"]:
            click.echo(f"{indent}    {step['text'][:200]}")
        for difference in step["differences"] or []:
            flag = "" if difference["editorial"] else "  MISQUOTE"
            click.echo(
                f"{indent}    {difference['type']}: {difference['quote']!r} / "
                f"{difference['original'][:80]!r}{flag}"
            )


@cli.command()
@click.option("--source", "source_id", type=int, help="Only the citations made by this source.")
@click.option("--unresolved", is_flag=True, help="Only the citations not resolved to a source.")
@db_option
@json_option
def citations(source_id: int | None, unresolved: bool, db_path: str | None, as_json: bool) -> None:
    """List mentions of other documents and the sources they were resolved to.

    Identifiers (cable ids, URLs, DOIs, links) and descriptions ("a leaked 2008 State
    Department cable"); cited_source_id is empty when no stored source fits well enough.

    \b
    Example:
        provenance citations --source 3 --json
    """
    from .citations import list_citations

    rows = list_citations(_open(db_path).conn, source_id, unresolved)
    if as_json:
        _print_json(rows)
        return
    _table(
        rows,
        ["citing_source_id", "kind", "cited_source_id", "confidence", "mention", "cited_title"],
        {
            "citing_source_id": 6,
            "kind": 11,
            "cited_source_id": 6,
            "confidence": 5,
            "mention": 50,
            "cited_title": 50,
        },
    )


@cli.command()
@db_option
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Host to bind to.")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="Port to bind to.")
def serve(db_path: str | None, host: str, port: int) -> None:
    """Publish the database with Datasette (read-only).

    \b
    Example:
        provenance serve --port 8001
    """
    from datasette.cli import cli as datasette_cli

    from .datasette import metadata

    path = Path(db_path or default_path())
    if not path.exists():
        raise click.ClickException(f"no database at {path}: run `provenance add` first")
    _open(str(path)).conn.close()  # migrate before serving
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(metadata(path.stem), fh)
    click.echo(f"Serving {path} at http://{host}:{port}/", err=True)
    datasette_cli.main(
        [
            "serve",
            str(path),
            "--metadata",
            fh.name,
            "--host",
            host,
            "--port",
            str(port),
            "--setting",
            "suggest_facets",
            "off",
            "--setting",
            "facet_time_limit_ms",
            "500",
        ],
        prog_name="provenance serve",
    )
