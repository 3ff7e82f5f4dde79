"""The docs are tested: the README is short and opens with its two set-up commands, CI runs the
second, every link resolves, the generated reference is current and every command is listed."""

import importlib.util
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli

from .conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def _make_docs():
    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "scripts" / "make_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def readme_setup_commands():
    text = README.read_text()
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
    return [line for line in blocks[0].splitlines() if line.strip() and not line.startswith("#")]


def test_readme_is_at_most_150_lines():
    assert len(README.read_text().splitlines()) <= 150


def test_readme_opens_with_exactly_two_setup_commands():
    lines = README.read_text().splitlines()
    assert lines[:2] == ["# provenance", ""] and lines[2] == "```sh"  # nothing before them
    assert readme_setup_commands() == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/provenance add sources/"
        " && .venv/bin/provenance serve",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest",
    ]


def test_ci_runs_the_readme_test_command():
    test_command = readme_setup_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci


def test_readme_names_only_commands_that_exist():
    text = README.read_text()
    used = set(re.findall(r"\bprovenance ([a-z]+)\b", text))
    assert used and used <= set(cli.commands)


def _command_block() -> str:
    """The README's code block that lists the commands: the one that names `who`."""
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", README.read_text(), re.S)
    return next(block for block in blocks if re.search(r"^provenance who\b", block, re.M))


def test_the_readme_lists_every_command_in_one_block():
    listed = re.findall(r"^provenance ([a-z]+)", _command_block(), re.M)
    assert set(listed) == set(cli.commands)


def test_who_trace_and_citations_come_first():
    listed = list(dict.fromkeys(re.findall(r"^provenance ([a-z]+)", _command_block(), re.M)))
    assert listed[:3] == ["who", "trace", "citations"]


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, name


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # code is not links
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'src="([^"]+)"', text)
    return [t for t in targets if not re.match(r"[a-z]+:|#", t)]


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("path", [README, *DOCS, RESULTS], ids=lambda p: p.name)
def test_every_relative_link_resolves(path):
    missing = []
    for target in _relative_links(path) + [
        path.name + t for t in re.findall(r"\]\((#[^)\s]+)\)", path.read_text())
    ]:
        file, _, anchor = target.partition("#")
        linked = path.parent / file
        if not linked.exists() or (anchor and anchor not in _anchors(linked)):
            missing.append(target)
    assert missing == []


def test_the_docs_tree_exists():
    names = {p.name for p in DOCS}
    assert {
        "cli.md",
        "schema.md",
        "how-it-works.md",
        "publishing.md",
        "integrity.md",
        "limits.md",
        "development.md",
    } <= names
    assert RESULTS.exists()


def test_the_readme_picture_is_a_small_png():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", README.read_text())
    assert pictures
    for picture in pictures:
        data = (ROOT / picture).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 250_000


@pytest.mark.parametrize("name", ["cli.md", "schema.md"])
def test_generated_docs_are_up_to_date(name):
    make_docs = _make_docs()
    assert (ROOT / "docs" / name).read_text() == make_docs.GENERATED[name](), (
        f"docs/{name} is out of date: regenerate with: {make_docs.REGENERATE}"
    )


def test_the_cli_reference_holds_every_commands_help():
    reference = (ROOT / "docs" / "cli.md").read_text()
    for name in cli.commands:
        assert f"## provenance {name}\n" in reference
        assert f"Usage: provenance {name} " in reference
