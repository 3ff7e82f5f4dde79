"""The README's commands exist and CI runs the README's test command."""

import re

from click.testing import CliRunner

from provenance.cli import cli

from .conftest import ROOT


def readme_setup_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
    return [line for line in blocks[0].splitlines() if line.strip() and not line.startswith("#")]


def test_readme_opens_with_exactly_two_setup_commands():
    assert len(readme_setup_commands()) == 2


def test_ci_runs_the_readme_test_command():
    test_command = readme_setup_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci


def test_readme_names_only_commands_that_exist():
    text = (ROOT / "README.md").read_text()
    used = set(re.findall(r"\bprovenance ([a-z]+)\b", text))
    assert used and used <= set(cli.commands)


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, name
