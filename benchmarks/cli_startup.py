"""How long the command line and the site's plugin take to start: median wall times of 10 runs.

Prints the median of 10 runs each of ``python -c pass`` (the interpreter alone, the baseline),
``provenance --help`` and ``python -c 'import provenance.datasette'``, in one run so that the
three are measured on the same machine at the same time.

    python benchmarks/cli_startup.py
    python benchmarks/cli_startup.py --runs 20
    python benchmarks/cli_startup.py --source ../other-checkout   # the same for another tree
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall_times(command: list[str], runs: int, env: dict[str, str], cwd: Path) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--source", type=Path, help="A checkout to measure instead of the installed package."
    )
    args = parser.parse_args()
    env = dict(os.environ)
    script = Path(sys.executable).with_name("provenance")
    help_command = [str(script), "--help"]
    if args.source or not script.exists():
        # What the installed `provenance` script runs, for a tree that is not installed.
        help_command = [
            sys.executable,
            "-c",
            "import sys; from provenance.cli import cli; sys.exit(cli(prog_name='provenance'))",
            "--help",
        ]
    cwd = Path.cwd()
    if args.source:
        # `python -c` looks in the working folder first: run there, and name it on the path.
        cwd = args.source.resolve()
        env["PYTHONPATH"] = str(cwd)
    where = subprocess.run(
        [sys.executable, "-c", "import provenance; print(provenance.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=cwd,
    ).stdout.strip()
    print(f"provenance from {where}; median of {args.runs} runs")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "provenance --help": help_command,
        "python -c 'import provenance.datasette'": [
            sys.executable,
            "-c",
            "import provenance.datasette",
        ],
    }
    baseline = None
    for label, command in commands.items():
        median = statistics.median(wall_times(command, args.runs, env, cwd))
        baseline = median if baseline is None else baseline
        extra = "" if median is baseline else f"  ({median - baseline:.3f} s above the baseline)"
        print(f"{label:42} {median:.3f} s{extra}")


if __name__ == "__main__":
    main()
