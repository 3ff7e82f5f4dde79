"""The command line: parse, call the library, print text or --json. No logic of its own."""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

# Only what the commands' help shows: each command imports its implementation when it runs, so
# `provenance --help` loads neither the database layer nor the ingesters.
from . import __version__, profile
from .defaults import DEFAULT_BASE_URL, FORMATS, Limits, default_path
from .errors import NotAnArchive, ProvenanceError

# The numeric work runs in one process per core (the batch's workers), so OpenBLAS's threads
# would only compete with them, and starting them costs CPU time at every command's start
# (benchmarks/startup.py). Set before anything imports numpy; a value given by the user stays.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    envvar="PROVENANCE_DB",
    default=None,
    help="Database file (default: $PROVENANCE_DB or ./provenance.db).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")


def _open(db_path: str | None, *, existing: bool = False):
    """Open (and migrate) the database; ``existing``: refuse one that is not there yet, so a
    command that only reads never leaves an empty archive behind a typo."""
    from .db import open_db

    path = db_path or default_path()
    if existing and not Path(path).exists():
        raise click.ClickException(f"no database at {path}: run `provenance add` first")
    try:
        archive = open_db(path, existing=existing)
    except NotAnArchive as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # sqlite3 errors: a folder, a non-database file, no permission
        raise click.ClickException(
            f"cannot open database {db_path or default_path()}: {exc}"
        ) from None
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        # Closed when the command ends (a transaction left open rolls back): the last
        # connection to close folds the write-ahead log into the database file and removes
        # the -wal and -shm files. Left to the collector, a connection is closed only when the
        # interpreter tears down (CPython's sqlite3 connection and its statement cache refer
        # to each other), which :func:`main` no longer makes collect.
        ctx.call_on_close(archive.conn.close)
    return archive


def _check_not_archived(conn: Any, path: str) -> None:
    """Refuse ``path`` when a source of the archive was read from that file (by its path, or
    the file a link there points to): the archive keeps its bytes, but the file is the user's."""
    from .inputs import path_locator
    from .outputs import OutputRefused

    named = sorted({path_locator(path), path_locator(os.path.realpath(path))})
    found = conn.execute(
        f"SELECT 1 FROM sources WHERE locator IN ({','.join('?' * len(named))}) LIMIT 1", named
    ).fetchone()
    if found:
        raise OutputRefused(f"refusing to write {path}: the archive holds a source read from it")


def _sha256_hex(value: str | None, param: Any) -> str | None:
    """A SHA-256 hash as given (upper case, spaces, a ``sha256:`` prefix), as the log writes it."""
    if value is None:
        return None
    digest = value.strip().lower().removeprefix("sha256:").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise click.BadParameter(f"{value!r} is not a SHA-256 hash (64 hex digits)", param=param)
    return digest


class _RowId(click.ParamType):
    """A source's or claim's id: an integer SQLite can hold (a larger one names no row)."""

    name = "integer"

    def __init__(self, what: str) -> None:
        self.what = what

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        number = click.INT.convert(value, param, ctx)
        if not -(2**63) <= number < 2**63:
            raise click.ClickException(f"no {self.what} with id {number}")
        return number


SOURCE_ID, CLAIM_ID = _RowId("source"), _RowId("claim")


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _width() -> int | None:
    """The terminal's width in characters, or None when stdout is not a terminal (piped
    output keeps whole values, for grep and less -S); $COLUMNS wins over both."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return " ".join(str(value).split())  # one line per row: newlines and runs of spaces folded


def _cut(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def _table(rows: list[dict[str, Any]], columns: dict[str, str]) -> None:
    """Print rows as a table: a header row (``columns`` maps each key to its header), numbers
    right-aligned, and the widest columns cut (with …) until the table fits the terminal."""
    keys = list(columns)
    cells = [[_cell(row.get(key)) for key in keys] for row in rows]
    numeric = [
        all(isinstance(row.get(key), int | float) for row in rows if row.get(key) not in (None, ""))
        for key in keys
    ]
    widths = [
        max([len(columns[key])] + [len(line[i]) for line in cells]) for i, key in enumerate(keys)
    ]
    limit = _width()
    if limit is not None:
        # Each column keeps its header (and at least 12 characters); what is left of the width
        # is shared in proportion to what each column would need beyond that, so the long
        # texts keep the most room and short columns are rarely cut.
        floors = [min(w, max(len(columns[k]), 12)) for k, w in zip(keys, widths, strict=True)]
        extra = [w - f for w, f in zip(widths, floors, strict=True)]
        room = limit - 2 * (len(keys) - 1) - sum(floors)
        if room < sum(extra):
            ratio = max(room, 0) / sum(extra)
            widths = [f + int(e * ratio) for f, e in zip(floors, extra, strict=True)]
    header = [columns[key] for key in keys]
    for line in [header, ["-" * w for w in widths], *cells]:
        out = []
        for value, width, right in zip(line, widths, numeric, strict=True):
            value = _cut(value, width)
            out.append(value.rjust(width) if right else value.ljust(width))
        click.echo("  ".join(out).rstrip())


_CLAIM_COLUMNS = {
    "id": "id",
    "source_id": "source",
    "score": "score",
    "attributed_to": "attributed to",
    "text": "text",
}


class _Commands(click.Group):
    """Every command's expected failures (the library's ProvenanceError) end as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProvenanceError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.OperationalError as exc:
            # What the machine, not the archive, refuses: one line, and what was stored stays.
            reason = _SQLITE_REFUSALS.get(str(exc))
            if reason is None:
                raise
            raise click.ClickException(reason) from None


#: SQLite's refusals that are the machine's or another process's doing, as one line each.
_SQLITE_REFUSALS = {
    "database is locked": "the archive is busy: another process has been writing to it for a "
    "minute (run the command again when it has finished)",
    "database or disk is full": "the disk is full: inputs not yet committed were not stored, "
    "those stored before are kept (free space and run the command again)",
    "disk I/O error": "the disk could not be read or written (disk I/O error); what was "
    "stored before is kept",
    "attempt to write a readonly database": "the archive is read-only here (its file or "
    "folder cannot be written)",
}


@click.group(cls=_Commands)
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
        for name in (
            "pypdf",
            "pdfminer",
            "trafilatura",
            "htmldate",
            "charset_normalizer",
            "chardet",
            "courlan",
        ):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def main() -> None:
    """The ``provenance`` command: :func:`cli`, then the objects left are frozen for the
    cyclic collector before the interpreter tears down. Its teardown otherwise runs the
    collector over every object the imports and the command made, a noticeable part of adding
    one small file, to free what the end of the process frees anyway; what the collector alone
    would have freed at teardown is then not finalised, so the command closes its archive
    itself (see :func:`_open`). Exit codes and ``atexit`` handlers are as without
    it. Tests call :func:`cli`, whose process goes on."""
    try:
        cli.main(prog_name="provenance")
    finally:
        gc.freeze()


class _Progress:
    """One line on a terminal's stderr with the counts so far, redrawn at most 10 times a
    second; cleared before any other line is printed."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False
        self.last = 0.0
        self.started = time.monotonic()

    def update(self, counts: dict[str, int]) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.1:
            return
        self.last = now
        done = sum(counts.values())
        rate = done / max(now - self.started, 1e-6)
        parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        sys.stderr.write(f"\r\033[K{done} documents ({rate:.0f}/s): {parts}")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@db_option
@json_option
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=Limits.max_bytes,
    show_default=True,
    help="Refuse inputs larger than this, read, fetched or decompressed.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=Limits.timeout,
    show_default=True,
    help="Seconds allowed for one input: fetching, extraction and analysis together.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=Limits.max_pages,
    show_default=True,
    help="Refuse PDFs with more pages than this.",
)
@click.option(
    "--max-memory",
    type=click.IntRange(min=64),
    default=Limits.max_memory // (1024 * 1024),
    show_default=True,
    help="Megabytes the extraction of one input may allocate.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="the number of cores",
    help="Worker processes that fetch, extract and analyse; one process writes.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default=None,
    help="Where inputs are prepared: local worker processes, or a Dask cluster (--cluster).",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    envvar="PROVENANCE_CLUSTER",
    default=None,
    help="Prepare inputs on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:PORT)"
    " instead of --workers; this process still writes, in input order. Needs"
    " provenance[cluster].",
)
@click.option(
    "--as-text",
    is_flag=True,
    help="Store text files that are not prose (JSON, CSV, logs, configuration) as plain text "
    "instead of skipping them.",
)
@click.option(
    "--follow-links",
    is_flag=True,
    help="Read symbolic links to files, also those in a folder that point outside it.",
)
@click.option(
    "--accurate",
    is_flag=True,
    help="Score claims and tag attributions with the accurate mode's fine-tuned MiniLM "
    "models (needs provenance[accurate]; slower).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only failures: no lines, no progress.")
def add(
    inputs: tuple[str, ...],
    db_path: str | None,
    as_json: bool,
    max_bytes: int,
    timeout: float,
    max_pages: int,
    max_memory: int,
    workers: int,
    executor: str | None,
    cluster: str | None,
    as_text: bool,
    follow_links: bool,
    accurate: bool,
    quiet: bool,
) -> None:
    """Add files, folders (recursively) and http(s) URLs to the database.

    Each input is stored whole or not at all; an input that fails is recorded with its error
    and the rest go on. Adding the same bytes again changes nothing and says "unchanged".
    Adding a path or URL again with different bytes stores a new capture of the same source
    and re-anchors its claims ("recaptured"; see `provenance diff`). Exits with status 1
    when any input failed. Text files that are not prose (JSON, CSV, logs, configuration
    files) are skipped with the reason, recorded like failures; --as-text stores them.

    \b
    Example:
        provenance add sources/ https://example.org/story.html --json
        provenance add big-report.pdf --timeout 300 --max-pages 5000
        provenance add archive/ --cluster tcp://10.0.0.5:8786
        provenance add exports/settings.json --as-text
        provenance add cables/ --accurate
    """
    from .outputs import check_output
    from .pipeline import add as add_inputs

    if accurate:
        from . import semantic

        semantic.claim_scorer()  # a missing extra is one line before anything is added
        semantic.attribution_tagger()

    if executor == "dask" and not cluster:
        raise click.UsageError("--executor dask needs --cluster ADDRESS")
    if executor == "local":
        cluster = None
    protected = [db_path or default_path(), *inputs]  # the database with its -wal, -shm
    if os.environ.get("PROVENANCE_PROFILE"):  # refused before anything is added, not after
        check_output(os.environ["PROVENANCE_PROFILE"], protected)
    db = _open(db_path)
    counts = {"added": 0, "recaptured": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    results = []
    limits = Limits(
        max_bytes=max_bytes,
        timeout=timeout,
        max_pages=max_pages,
        max_memory=max_memory * 1024 * 1024,
        follow_links=follow_links,
        accurate=accurate,
    )
    profile.TIMES.clear()
    progress = _Progress(enabled=not quiet and sys.stderr.isatty())
    for result in add_inputs(db, inputs, limits, workers=workers, cluster=cluster, as_text=as_text):
        counts[result.status] = counts.get(result.status, 0) + 1
        progress.update(counts)
        if as_json:
            results.append(result.as_dict())
        elif result.status in ("failed", "skipped"):
            progress.clear()
            click.echo(f"{result.status:<10} {result.input}: {result.error}", err=True)
        elif not quiet:
            progress.clear()
            indent = "  " if result.parent_id else ""
            line = (
                f"{result.status:<10} {indent}#{result.source_id} {result.kind}: "
                f"{result.title or '(untitled)'}  [{result.input}]"
            )
            if result.status == "recaptured" and result.parent_id is None:
                anchors = ", ".join(f"{n} {s}" for s, n in (result.anchors or {}).items() if n)
                line += f"\n           capture {result.capture} of #{result.previous_id}'s source"
                line += f"; earlier claims: {anchors or 'none'}"
            click.echo(line)
    progress.clear()
    profile.write_if_asked(protected)
    if as_json:
        _print_json(results)
    if quiet:
        sys.exit(1 if counts["failed"] else 0)
    summary = f"{counts['added']} added, "
    if counts["recaptured"]:
        summary += f"{counts['recaptured']} recaptured, "
    if counts["skipped"]:
        summary += f"{counts['skipped']} skipped, "
    click.echo(
        summary + f"{counts['unchanged']} unchanged, {counts['failed']} failed",
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
    from .reading import list_sources

    rows = list_sources(_open(db_path, existing=True))
    if as_json:
        _print_json(rows)
        return
    from .moments import shown

    _table(
        [{**row, "published": shown(row["published"], full=True)} for row in rows],
        {
            "id": "id",
            "kind": "kind",
            "published": "published",
            "reference_id": "reference",
            "title": "title",
        },
    )


@cli.command()
@click.argument("source_id", type=SOURCE_ID)
@db_option
@json_option
def show(source_id: int, db_path: str | None, as_json: bool) -> None:
    """Show one source: its fields, text layer and claims.

    \b
    Example:
        provenance show 3 --json
    """
    from .reading import get_source

    source = get_source(_open(db_path, existing=True), source_id)
    if as_json:
        _print_json(source)
        return
    listed = ("claims", "attributions", "quotes")
    for key, value in source.items():
        if key not in ("text", "metadata", *listed) and value not in (None, "", []):
            click.echo(f"{key}: {value}")
    click.echo(f"\ntext:\n{source['text']}\n")
    claims = source["claims"]
    click.echo(f"{len(claims)} claim{'' if len(claims) == 1 else 's'}:")
    if claims:
        paged = any(claim["page"] is not None for claim in claims)
        spans = {"start": "start", "end": "end", **({"page": "page"} if paged else {})}
        own = {key: header for key, header in _CLAIM_COLUMNS.items() if key != "source_id"}
        _table(claims, {"id": "id", **spans, **own})
    click.echo(
        f"{len(source['attributions'])} attributions, {len(source['quotes'])} quotes"
        " (--json lists them with their spans)",
        err=True,
    )


@cli.command()
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--lines", is_flag=True, help="Each line of the input is one sentence.")
@click.option(
    "--accurate",
    is_flag=True,
    help="Blend in the fine-tuned MiniLM check-worthiness model (needs provenance[accurate]).",
)
@json_option
def score(file: Any, lines: bool, accurate: bool, as_json: bool) -> None:
    """Score the sentences of a text as check-worthy claims, without storing anything.

    Reads FILE, or standard input when FILE is - or absent. Offsets (start, end) are
    code-point offsets into the text as read; a PDF, an HTML page or a web capture is read
    as `add` reads it (its text layer), not as bytes. With --json: one object per sentence with
    text, start, end, score and is_claim. With --accurate the score is that of a MiniLM
    fine-tuned for check-worthiness, blended with the default scorer's as its card says
    (slower; more accurate).

    \b
    Example:
        provenance score transcript.txt --json
        pbpaste | provenance score --lines
        provenance score transcript.txt --accurate
    """
    from dataclasses import replace

    from .claims import score_text

    if accurate:
        from . import semantic

        scorer = semantic.claim_scorer()  # a missing extra is one line before any work
    scored = score_text(_text_to_score(file.read(), getattr(file, "name", "-")), lines=lines)
    if accurate and scored:
        blended = scorer.checkworthiness([s.text for s in scored], [s.score for s in scored])
        threshold = float(scorer.card["threshold"])
        scored = [
            replace(s, score=round(p, 4), is_claim=p >= threshold)
            for s, p in zip(scored, blended, strict=True)
        ]
    if as_json:
        _print_json([s.as_dict() for s in scored])
        return
    for s in scored:
        click.echo(f"{s.score:.3f}  {'claim' if s.is_claim else '     '}  {s.text}")


#: What `score` reads as the text it is given, not through its ingester's text layer.
_TEXT_KINDS = ("text", "cable")


def _text_to_score(data: bytes, name: str) -> str:
    """The text `score` scores: plain text (a cable's telegram too) decoded as it is; a
    document of another kind, its text layer; binary data refused in one line."""
    from . import ingest
    from .errors import UnsupportedInput
    from .ingest.decode import decode, looks_binary

    try:
        ingester = ingest.detect(data, ingest.Hint(name=name))
    except UnsupportedInput:
        ingester = None
    if ingester is not None and ingester.name not in _TEXT_KINDS:
        from .pipeline import extract_record

        limits = Limits()  # add's caps on pages and decompressed bytes
        hint = ingest.Hint(name=name, as_text=True, max_pages=limits.max_pages)
        return extract_record(data, hint, limits.max_bytes).text
    if looks_binary(data):
        raise ProvenanceError(f"{name}: binary data, not a text this tool can read")
    return decode(data)[0]


@cli.command()
@click.option("--source", "source_id", type=SOURCE_ID, help="Only the claims of this source.")
@db_option
@json_option
def claims(source_id: int | None, db_path: str | None, as_json: bool) -> None:
    """List claims with their spans, scores and attribution.

    \b
    Example:
        provenance claims --source 3 --json
    """
    from .reading import list_claims

    rows = list_claims(_open(db_path, existing=True), source_id)
    if as_json:
        _print_json(rows)
        return
    _table(rows, _CLAIM_COLUMNS)


@cli.command()
@db_option
@json_option
@click.option(
    "--head",
    "published_head",
    metavar="HASH",
    callback=lambda ctx, param, value: _sha256_hex(value, param),
    help="A head hash published earlier (`provenance head`): fail unless the log still holds it.",
)
def verify(db_path: str | None, as_json: bool, published_head: str | None) -> None:
    """Check the archive: blobs, text layers, re-extraction, claim spans and the event log.

    Re-hashes every archived blob, re-runs the recorded extractor on it and compares the text
    hash, re-checks every claim span, and walks the hash-chained event log, which must vouch
    for every source, claim and failure. Exits with status 1 on any failure, naming each,
    source by source. This proves integrity since capture, not authenticity at origin.

    \b
    Example:
        provenance verify --json
        provenance verify --head 5c2e…   # the hash `provenance head` printed
    """
    from .verify import verify as run_verify

    report = run_verify(_open(db_path, existing=True).conn, published_head)
    if as_json:
        _print_json(report.as_dict())
    else:
        checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
        for source, messages in report.by_source().items():
            click.echo("FAIL " + ("(no source)" if source == "-" else f"source {source}"), err=True)
            for message in messages:
                click.echo(f"  {message}", err=True)
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(
            ("ok: " if report.ok else f"{len(report.problems)} problems; ") + f"checked {checked}"
        )
        if report.head:
            click.echo(f"head {report.head}")
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.argument("text")
@db_option
@json_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many works.",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Leave out results scoring under this (0-1).",
)
@click.option(
    "--accurate",
    is_flag=True,
    help="Also compare by meaning with the shipped sentence encoder (needs provenance[accurate]).",
)
def who(
    text: str, db_path: str | None, as_json: bool, limit: int, min_score: float, accurate: bool
) -> None:
    """Who reported TEXT: the stored claims that state it, ranked, grouped by work.

    TEXT may be a claim in your own words or a single name. Candidates come from the
    full-text index and are re-ranked by the paraphrase comparison; each result has a score
    (0-1) and a relation: same (the same wording, or nearly), paraphrase (the same fact in
    other words) or related (shares its telling words only). Works that state it come
    first, earliest published first (sources of one day that do not all give their time are
    tied: a note says so); related ones follow, best first. With --accurate the
    best candidates are also compared by meaning (a sentence encoder, see `provenance.semantic`),
    which finds restatements that share few words.

    \b
    Example:
        provenance who "a dozen officers were injured, according to police" --json
        provenance who Derna --limit 5
        provenance who "the minister stepped down" --accurate
    """
    from .moments import shown
    from .search import who as find_who

    rescorer = None
    if accurate:
        from . import semantic

        semantic.encoder()  # loaded now: a missing extra is one line before any search
        rescorer = semantic.similarities
    conn = _open(db_path, existing=True).conn
    results = find_who(conn, text, limit=limit, min_score=min_score, rescorer=rescorer)
    if as_json:
        _print_json(results)
        return
    if not results:
        click.echo(
            "no stored claim states or mentions this"
            + (f" with a score of {min_score} or more" if min_score else "")
            + " (try other or fewer words)",
            err=True,
        )
        return
    rows = [
        {
            **rendition,
            "rank": result["rank"] if i == 0 else "",  # a work's other renditions follow it
            "source": rendition["reference_id"] or rendition["title"] or rendition["source_id"],
            "published": shown(rendition["published"]),
        }
        for result in results
        for i, rendition in enumerate(result["renditions"])
    ]
    _table(
        rows,
        {
            "rank": "rank",
            "published": "published",
            "relation": "relation",
            "score": "score",
            "claim_id": "claim",
            "source": "source",
            "text": "text",
        },
    )
    tied = [str(result["rank"]) for result in results if result.get("first") == "tied"]
    if len(tied) > 1:
        click.echo(
            f"ranks {', '.join(tied[:-1])} and {tied[-1]} may each be the first: of one day,"
            " and not all give their time, so which came first is not known"
        )
    elif tied:  # the others of its day are past --limit
        click.echo(
            f"rank {tied[0]} may not be the first: a source of the same day beyond --limit may"
            " have come before it (not all give their time)"
        )


@cli.command()
@click.argument("claim_id", type=CLAIM_ID)
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
    from .moments import shown

    steps = trace_claim(_open(db_path, existing=True).conn, claim_id)
    if as_json:
        _print_json(steps)
        return
    for step in steps:
        indent = "  " * step["depth"]
        where = f"[{step['start']}:{step['end']}]" if step["start"] is not None else ""
        score = f" {step['score']:.2f}" if step["score"] is not None else ""
        if step.get("rule"):
            score += f" ({step['rule']})"
        click.echo(
            f"{indent}{step['relation']}{score} -> #{step['source_id']} "
            f"{step['title'] or '(untitled)'} ({shown(step['published'], full=True)}) {where}"
        )
        if step["text"]:
            text, limit = " ".join(step["text"].split()), _width()
            click.echo(
                f"{indent}    {_cut(text, max(limit - len(indent) - 4, 20)) if limit else text}"
            )
        for other in step.get("tied") or []:
            click.echo(
                f"{indent}    or #{other['source_id']} {other['title'] or '(untitled)'}"
                f" ({shown(other['published'], full=True)}): which came first is not known"
            )
        for difference in step["differences"] or []:
            flag = "" if difference["editorial"] else "  MISQUOTE"
            click.echo(
                f"{indent}    {difference['type']}: {difference['quote']!r} / "
                f"{difference['original'][:80]!r}{flag}"
            )


@cli.command()
@click.option(
    "--source", "source_id", type=SOURCE_ID, help="Only the citations made by this source."
)
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

    rows = list_citations(_open(db_path, existing=True).conn, source_id, unresolved)
    if as_json:
        _print_json(rows)
        return
    from .evidence import why

    for row in rows:
        if row["cited_source_id"] is None:
            row["cited_title"] = why(row["evidence"]) or "unresolved"
    _table(
        rows,
        {
            "citing_source_id": "from",
            "kind": "kind",
            "cited_source_id": "to",
            "confidence": "confidence",
            "mention": "mention",
            "cited_title": "cited (or why not)",
        },
    )


@cli.command()
@db_option
@json_option
def head(db_path: str | None, as_json: bool) -> None:
    """Print the head hash of the event log, to publish elsewhere.

    The hash covers every event before it. Publish it (a newsletter, a tweet, a signed
    commit); anyone holding the database can later run `provenance verify --head HASH` to
    show that nothing logged up to then was removed or rewritten.

    \b
    Example:
        provenance head --json
    """
    from .db import head as log_head

    state = log_head(_open(db_path, existing=True).conn)
    if as_json:
        _print_json(state)
    elif state["head"] is None:
        click.echo("the event log is empty", err=True)
    else:
        click.echo(state["head"])
        click.echo(f"{state['events']} events, the last at {state['at']}", err=True)


@cli.command()
@click.argument("source_id", type=SOURCE_ID)
@db_option
@json_option
def diff(source_id: int, db_path: str | None, as_json: bool) -> None:
    """Show what changed between the last two captures of a source, claim by claim.

    Each claim of the earlier capture is unchanged, moved, edited (with its new span and the
    words that changed) or orphaned (no longer found; never guessed). SOURCE_ID may be any
    capture of the source.

    \b
    Example:
        provenance diff 3 --json
    """
    from .captures import diff as capture_diff

    result = capture_diff(_open(db_path, existing=True).conn, source_id)
    if as_json:
        _print_json(result)
        return
    earlier, later = result["captures"]
    click.echo(
        f"capture {earlier['capture']} (#{earlier['source_id']}, {earlier['retrieved']}) -> "
        f"capture {later['capture']} (#{later['source_id']}, {later['retrieved']})"
    )
    for claim in result["claims"]:
        click.echo(f"{claim['status']:<10} claim {claim['claim_id']}: {claim['old']['text']}")
        if claim["status"] == "edited":
            changes = "; ".join(
                f"{c['old'] or '∅'} -> {c['new'] or '∅'}" for c in claim["difference"]
            )
            click.echo(f"{'':<10} now: {claim['new']['text']}  [{changes}]")
    for claim in result["new_claims"]:
        click.echo(f"{'new':<10} claim {claim['claim_id']}: {claim['text']}")
    click.echo(", ".join(f"{n} {s}" for s, n in result["counts"].items()), err=True)


@cli.command()
@db_option
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Host to bind to.")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="Port to bind to.")
@click.option(
    "--immutable",
    is_flag=True,
    help="Serve a finished archive as an immutable snapshot (no locks, cached counts). Never "
    "while anything may still write to it.",
)
@click.option("--live", is_flag=True, hidden=True, help="The default now: serve read-only.")
def serve(db_path: str | None, host: str, port: int, immutable: bool, live: bool) -> None:
    """Publish the database with Datasette, read-only.

    By default the database is served read-only and may be added to while it is served
    (pages show what is committed). --immutable serves a finished archive as a snapshot,
    which is faster but must not be written to while served: SQLite then neither locks it
    nor reads its write-ahead log. Pages: /DB/-/search, /DB/-/source/ID and /DB/-/claim/ID
    besides Datasette's tables and stored queries.

    \b
    Example:
        provenance serve --port 8001
        provenance serve --immutable --port 8001   # a published, finished archive
    """
    from datasette.cli import cli as datasette_cli

    from .datasette import serve_arguments
    from .datasette.serving import checkpoint, write_inspect_file

    path = Path(db_path or default_path())
    if immutable and live:
        raise click.ClickException("--immutable and --live contradict each other")
    _open(str(path), existing=True).conn.close()  # migrate before serving
    if immutable and not checkpoint(path):
        raise click.ClickException(
            f"{path} is being written to: it cannot be served immutable (serve it without "
            "--immutable)"
        )
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
@click.option("--source", "source_id", type=SOURCE_ID, help="Only the claims of this source.")
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="Address the database is published at (`provenance serve`): identifiers and links "
    "are built from it.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="File to write (written beside it and renamed when complete; never the database).",
)
@db_option
def export(
    fmt: str, source_id: int | None, base_url: str, output: str, db_path: str | None
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
    from .outputs import atomic_text_output, check_output

    path = Path(db_path or default_path())
    if output != "-":
        check_output(output, [path])
    db = _open(str(path), existing=True)
    if output != "-":
        _check_not_archived(db.conn, output)
    if output == "-":
        count = run_export(
            db.conn, fmt, sys.stdout, source_id=source_id, base_url=base_url, database=path.stem
        )
    else:
        with atomic_text_output(output) as out:
            count = run_export(
                db.conn, fmt, out, source_id=source_id, base_url=base_url, database=path.stem
            )
    click.echo(f"{count} claims exported as {fmt}", err=True)


if __name__ == "__main__":  # python -m provenance.cli
    main()
