"""CPU seconds of `provenance add` of a single cable: the start-up cost of one small input.

Each round runs, in fresh processes: `python -c "import provenance.cli"` (the import floor),
then `provenance add CABLE --db NEW --quiet`, and prints the CPU seconds (user + system of
the process and the workers it waited for) of each, medians of --rounds.

    .venv/bin/python benchmarks/startup.py --rounds 7
    .venv/bin/python benchmarks/startup.py --baseline /tmp/provenance-base   # old and new

With --baseline DIR (a source tree of an earlier version, e.g. from `git archive`) each round
runs DIR's code (on PYTHONPATH) and this tree's code alternately and prints both. The cable is
the first of benchmarks/out/cables/ when benchmarks/speed.py has written them from
../shared/corpus, else the project's fixture tests/fixtures/telegram.txt.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cable() -> Path:
    folder = ROOT / "benchmarks" / "out" / "cables"
    found = sorted(folder.glob("*.txt"))[:1] if folder.is_dir() else []
    return found[0] if found else ROOT / "tests" / "fixtures" / "telegram.txt"


def cpu_seconds(cmd: list[str], tree: Path, cwd: str) -> float:
    """User + system seconds of ``cmd`` and of every child it waited for."""
    env = dict(os.environ, PYTHONPATH=str(tree))  # run outside the tree: `-c` puts cwd first
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-500:]}")
    return usage.ru_utime + usage.ru_stime


def compile_tree(tree: Path) -> None:
    """Byte-compile the tree's package, as an install does: where $PYTHONDONTWRITEBYTECODE is
    set (as on the project's shared machines) nothing else writes the .pyc files, and every
    run would compile the package's sources again (about 0.2 s of CPU)."""
    import compileall

    compileall.compile_dir(str(tree / "provenance"), quiet=1)


def measure(tree: Path, path: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="provenance-startup-") as tmp:
        imports = cpu_seconds([sys.executable, "-c", "import provenance.cli"], tree, tmp)
        add = cpu_seconds(
            [
                sys.executable,
                "-c",
                'import provenance.cli as c; getattr(c, "main", c.cli)()',
                "add",
                str(path),
                "--db",
                str(Path(tmp) / "one.db"),
                "--quiet",
            ],
            tree,
            tmp,
        )
    return {"import": imports, "add": add}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="an earlier source tree to compare")
    args = parser.parse_args()
    path = cable()
    trees: dict[str, Path] = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    for tree in trees.values():
        compile_tree(tree)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            runs[name].append(measure(tree, path))
    print(f"add of one cable ({path.name}), CPU seconds, medians of {args.rounds} rounds:")
    for name, results in runs.items():
        imports = statistics.median(r["import"] for r in results)
        add = statistics.median(r["add"] for r in results)
        print(f"  {name:<10} add {add:5.2f} s   (import provenance.cli alone {imports:5.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
