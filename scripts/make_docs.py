"""Write the generated parts of docs/: the command reference and the database schema.

    python scripts/make_docs.py            # rewrite docs/cli.md and docs/schema.md
    python scripts/make_docs.py --check    # exit 1 when either is out of date

docs/cli.md is every command's ``--help`` (the text the commands print, at 80 columns);
docs/schema.md lists the tables, columns, views and migrations of a database freshly migrated in
memory, with the descriptions the published site shows (``provenance.datasette.config``). The
test suite (tests/test_docs.py) fails when a checked-in file differs from what this writes.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REGENERATE = "python scripts/make_docs.py"


def cli_reference() -> str:
    """Markdown of every command's ``--help``, the group's own first."""
    import click
    from click.testing import CliRunner

    from provenance.cli import cli

    runner = CliRunner()

    def help_text(*args: str) -> str:
        # click wraps help to the terminal, at most 80 columns: fix it so the file is stable.
        result = runner.invoke(
            cli, [*args, "--help"], prog_name="provenance", env={"COLUMNS": "80"}
        )
        if result.exit_code != 0:
            raise RuntimeError(f"provenance {' '.join(args)} --help failed: {result.output}")
        return result.output.rstrip() + "\n"

    names = cli.list_commands(click.Context(cli))
    parts = [
        "# Command reference\n",
        f"Generated from each command's `--help` by `{REGENERATE}`; do not edit by hand.\n",
        "Every command that reads or writes the archive takes `--db FILE` (default: "
        "`$PROVENANCE_DB`, else `./provenance.db`). With `--json` a command prints JSON on "
        "stdout; without it, listings are tables with a header row, cut with … to fit the "
        "terminal (whole values when the output is piped). Messages and summaries go to "
        "stderr.\n",
        "\n".join(f"- [`provenance {name}`](#provenance-{name})" for name in names) + "\n",
        "## provenance\n",
        f"```\n{help_text()}```\n",
    ]
    for name in names:
        parts += [f"## provenance {name}\n", f"```\n{help_text(name)}```\n"]
    return "\n".join(parts)


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


#: What the tables the site hides hold (the site's configuration describes only what it shows).
BOOKKEEPING = {
    "_migrations": "The migrations applied to this database, in order.",
    "claim_keys": "MinHash band keys of each claim's canonical terms: the index that finds "
    "linking candidates without comparing a new claim with every stored one.",
    "quote_keys": "Trigram keys of each quotation: the index that finds the passage it quotes.",
    "link_indexes": "Which method and tool version built each linking index.",
    "rendition_keys": "MinHash band keys of each text layer's word 5-gram shingles: the index "
    "that finds renditions of one work.",
    "row_digests": "The SHA-256 of every published row, tagged with the event that binds it: "
    "with it the event log vouches for every column of every row. Append-only.",
    "claims_fts": "FTS5 over claim texts, kept in step by triggers.",
    "sources_fts": "FTS5 over source titles and text layers, kept in step by triggers.",
}


def schema_reference() -> str:
    """Markdown of the schema the migrations build: tables and their columns, then views."""
    from provenance.datasette.config import HIDDEN_TABLES, tables
    from provenance.migrations import MIGRATIONS, apply_migrations

    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_migrations(conn)
    described = tables()
    objects = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view')"
        " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts_%' ORDER BY type, name"
    ).fetchall()
    order = {"sources": 0, "claims": 1}  # what a reader looks for first, then by name
    objects.sort(
        key=lambda o: (
            o[0] != "table",
            " VIRTUAL TABLE " in o[2],
            o[1] in HIDDEN_TABLES,
            order.get(o[1], 2),
        )
    )

    parts = [
        "# Database schema\n",
        f"Generated from the migrations by `{REGENERATE}`; do not edit by hand. The same "
        "schema as SQL is `schema/schema.sql`, a link to `provenance/schema.sql` (`python -m "
        "provenance.migrations > provenance/schema.sql`), from which a new archive is made in "
        "one transaction. Descriptions are the ones the published site shows. One `.db` "
        "file is a complete archive: the original bytes, the text layers, the claims and "
        "everything derived from them, and the hash-chained event log.\n",
    ]
    index = []
    sections = []
    for kind, name, sql in objects:
        meta = described.get(name, {})
        meta = {**meta, "description": meta.get("description") or BOOKKEEPING.get(name, "")}
        label = "full-text index" if " VIRTUAL TABLE " in sql else kind
        hidden = " (hidden on the site)" if name in HIDDEN_TABLES else ""
        summary = _cell(meta.get("description", "")).split(". ")[0].rstrip(".")
        index.append(f"| [`{name}`](#{name}) | {label}{hidden} | {summary} |")
        lines = [f"## {name}\n", f"{label.capitalize()}{hidden}."]
        if meta.get("description"):
            lines[-1] += " " + meta["description"]
        lines.append("")
        if label == "full-text index":
            lines += [f"```sql\n{sql};\n```\n"]
            sections.append("\n".join(lines))
            continue
        keys = {
            row[3]: f"→ `{row[2]}`" + (f".{row[4]}" if row[4] else "")
            for row in conn.execute(f"PRAGMA foreign_key_list('{name}')")
        }
        columns = meta.get("columns", {})
        lines += ["| column | type | notes | description |", "|---|---|---|---|"]
        for _cid, column, type_, notnull, default, pk, _hidden in conn.execute(
            f"PRAGMA table_xinfo('{name}')"
        ):
            notes = [n for n in ("primary key" if pk else "", "not null" if notnull else "") if n]
            if default is not None:
                notes.append(f"default {default}")
            if column in keys:
                notes.append(keys[column])
            lines.append(
                f"| `{column}` | {_cell(type_) or ''} | {', '.join(notes)} "
                f"| {_cell(columns.get(column, ''))} |"
            )
        triggers = [
            t
            for (t,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
                " ORDER BY name",
                (name,),
            )
        ]
        if triggers:
            lines += ["", "Triggers: " + ", ".join(f"`{t}`" for t in triggers) + "."]
        lines.append("")
        sections.append("\n".join(lines))
    parts += ["| name | kind | what it holds |", "|---|---|---|", *index, ""]
    parts += sections
    parts += [
        "## Migrations\n",
        "Applied in this order by every command that opens a database, each once, in a "
        "transaction, recorded in `_migrations`; an applied migration is never edited.\n",
    ]
    for name, fn in MIGRATIONS:
        first = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        parts.append(f"- `{name}`" + (f": {first}" if first else ""))
    return "\n".join(parts) + "\n"


GENERATED = {"cli.md": cli_reference, "schema.md": schema_reference}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Exit 1 when a file is stale.")
    args = parser.parse_args(argv)
    stale = []
    for name, make in GENERATED.items():
        path, text = DOCS / name, make()
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    if stale:
        print(f"out of date: {', '.join(stale)}; regenerate with: {REGENERATE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
