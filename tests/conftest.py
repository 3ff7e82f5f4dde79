"""Shared fixtures: an isolated database per test, the project's fixtures, a local web server."""

from __future__ import annotations

import http.server
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli
from provenance.db import open_db

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
#: Where the browser tests wrote their screenshots (said at the end of the run).
SCREENSHOTS = pytest.StashKey[set]()


def pytest_terminal_summary(terminalreporter, config) -> None:
    for folder in sorted(config.stash.get(SCREENSHOTS, set())):
        terminalreporter.write_line(f"screenshots written to {folder}")
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "test_browser" in report.nodeid
    ]
    if skipped:  # a skip is easy to miss among dots: say it once, with how to run them
        longrepr = skipped[0].longrepr
        reason = str(longrepr[-1] if isinstance(longrepr, tuple) else longrepr)
        reason = reason.removeprefix("Skipped: ").removeprefix("browser test skipped: ")
        terminalreporter.write_line(f"{len(skipped)} browser tests skipped: {reason}", yellow=True)


def query_rows(path: Path, queries: dict[str, str]) -> dict[str, list[tuple]]:
    """Each named query's rows from the database at ``path`` (to compare two databases)."""
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's ./provenance.db or home: every test gets its own database."""
    monkeypatch.setenv("PROVENANCE_DB", str(tmp_path / "test.db"))
    monkeypatch.delenv("COLUMNS", raising=False)  # text tables fit $COLUMNS when it is set
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def db(db_path: Path):
    database = open_db(db_path)
    yield database
    database.conn.close()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def run() -> Callable[..., object]:
    """Run the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str, ok: bool | None = None):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        if ok is True:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    return invoke


@pytest.fixture
def run_json(run):
    """Run a CLI command with --json and return the parsed stdout."""

    def invoke(*args: str, exit_code: int = 0):
        result = run(*args, "--json")
        assert result.exit_code == exit_code, result.stderr
        return json.loads(result.stdout)

    return invoke


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]] = {}

    def do_GET(self) -> None:  # noqa: N802
        handler = self.routes.get(self.path.split("?")[0])
        if handler is None:
            self.send_error(404, "Not Found")
            return
        handler(self)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[object]:
    """A web server on 127.0.0.1 with routes the test defines: ``web.route(path, fn)``."""

    class Web:
        def __init__(self) -> None:
            handler = type("Handler", (_Handler,), {"routes": {}})
            self.routes = handler.routes
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self.server.daemon_threads = True
            self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

        def route(self, path: str, fn: Callable[[http.server.BaseHTTPRequestHandler], None]):
            self.routes[path] = fn

        def file(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8"):
            def send(req: http.server.BaseHTTPRequestHandler) -> None:
                req.send_response(200)
                req.send_header("Content-Type", content_type)
                req.send_header("Content-Length", str(len(body)))
                req.end_headers()
                req.wfile.write(body)

            self.route(path, send)

        def redirect(self, path: str, location: str) -> None:
            def send(req: http.server.BaseHTTPRequestHandler) -> None:
                req.send_response(302)
                req.send_header("Location", location)
                req.send_header("Content-Length", "0")
                req.end_headers()

            self.route(path, send)

        def url(self, path: str) -> str:
            return self.base + path

    server = Web()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
