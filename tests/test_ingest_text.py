"""Plain text: prose is taken, configuration, data and logs are skipped with the reason."""

import json
import sqlite3

import pytest

from provenance import ingest
from provenance.errors import NotProse
from provenance.ingest.base import Hint

NOT_PROSE = {
    "passwd": (
        "root:x:0:0:root:/root:/bin/sh\nquay:x:1000:1000:Harbour Master:/home/quay:/bin/sh\n"
        "ferry:x:1001:1001::/home/ferry:/usr/sbin/nologin\n",
        "configuration",
    ),
    "settings.json": ('{"port": 8080, "harbours": ["Orvik", "Vik"]}\n', "JSON"),
    "events.jsonl": ('{"ship": "Kestrel", "berth": 4}\n{"ship": "Tern", "berth": 2}\n', "JSON"),
    "berths.csv": ("berth,ship,arrived\n1,Kestrel,2031-05-01\n2,Tern,2031-05-02\n", "comma"),
    "berths.tsv": ("berth\tship\n1\tKestrel\n2\tTern\n", "tab"),
    "harbour.log": (
        "2031-05-01 06:00:01 INFO gate opened\n2031-05-01 06:00:09 WARN crane 2 slow\n"
        "2031-05-01 06:01:12 INFO gate closed\n",
        "log",
    ),
    "sshd_config": ("Port 22\nPermitRootLogin no\nPasswordAuthentication no\n", "key = value"),
    "harbour.ini": (
        "[gate]\nopens = 06:00\ncloses = 22:00\n\n[cranes]\ncount = 4\n",
        "key = value",
    ),
}

PROSE = (
    "The harbour master said on Monday that the north quay would reopen in May.\n\n"
    "Shipping firms, which had asked for the repairs, welcomed the news.\n"
)


@pytest.mark.parametrize("name", sorted(NOT_PROSE))
def test_text_that_is_not_prose_is_refused_with_its_reason(name):
    text, reason = NOT_PROSE[name]
    with pytest.raises(NotProse, match=reason) as refused:
        ingest.extract(text.encode(), Hint(name=name))
    assert "--as-text" in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        PROSE,
        "# Notes\n\nThe quay, the cranes and the gate were inspected.\n\n- cranes: fine\n",
        "CHAIR: Welcome to the hearing on the harbour fees this morning.\n"
        "OKAFOR: Thank you. The fees have not risen in a decade, and the quay needs repairs.\n",
    ],
)
def test_prose_is_taken(text):
    assert ingest.extract(text.encode(), Hint(name="notes.txt")).kind == "text"


def test_as_text_forces_text_that_is_not_prose():
    text, _ = NOT_PROSE["settings.json"]
    record = ingest.extract(text.encode(), Hint(name="settings.json", as_text=True))
    assert record.kind == "text" and "Orvik" in record.text


def test_add_skips_a_folder_of_non_prose_files_recording_each_reason(run, tmp_path, db_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, (text, _) in NOT_PROSE.items():
        (inbox / name).write_text(text)
    (inbox / "notes.txt").write_text(PROSE)
    result = run("add", inbox, "--json", "--workers", "1")
    assert result.exit_code == 0, result.stderr
    statuses = {r["input"].rsplit("/", 1)[-1]: r["status"] for r in json.loads(result.stdout)}
    assert statuses == {**{name: "skipped" for name in NOT_PROSE}, "notes.txt": "added"}
    conn = sqlite3.connect(db_path)
    failures = conn.execute("SELECT input, error_type, error FROM failures").fetchall()
    assert len(failures) == len(NOT_PROSE)
    assert {error_type for _, error_type, _ in failures} == {"NotProse"}
    assert conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 1


def test_add_as_text_stores_them(run, tmp_path, db_path):
    path = tmp_path / "harbour.log"
    path.write_text(NOT_PROSE["harbour.log"][0])
    skipped = run("add", path)
    assert skipped.exit_code == 0 and "skipped" in skipped.stderr
    run("add", path, "--as-text", ok=True)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT kind FROM sources").fetchall() == [("text",)]


@pytest.mark.parametrize(
    ("text", "name", "title"),
    [
        ("Ferry fares rise\n\nThe ferry company raised fares.", "a.txt", "Ferry fares rise"),
        (
            "```\n\n* * *\n\nFerry fares rise\n\nThe company raised fares.",
            "a.txt",
            "Ferry fares rise",
        ),
        (
            "## A running head\n\n# The Tragedy of the Commons\n\n## Part one\n\nText here.",
            "t.md",
            "The Tragedy of the Commons",
        ),
        ("```\nAugust 2015\n```\n\n# Safe Communication\n\nText.", "s.md", "Safe Communication"),
        (
            "### _Andrew W. Mellon Foundation_\n\n### _Grant 17_\n\nText.",
            "m.md",
            "Andrew W. Mellon Foundation",
        ),
        ("# Not a heading in plain text\n\nText.", "p.txt", "# Not a heading in plain text"),
        ("```\n\n1234\n\n---", "n.txt", "n.txt"),
    ],
    ids=["first-line", "past-a-fence", "top-heading", "fenced-date", "emphasis", "txt", "none"],
)
def test_the_title_is_the_first_worded_line_or_markdowns_top_heading(text, name, title):
    record = ingest.extract(text.encode("utf-8"), Hint(name=name))
    assert record.title == title
