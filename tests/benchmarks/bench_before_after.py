"""Benchmark: the scale figures of an earlier commit and of this checkout, in the same run.

The earlier commit is checked out in a temporary git worktree, with this checkout's ``tests/``
copied over it, so the very same benchmark (bench_scale.py) drives the old code and the new
one, one after the other on the same machine. The two sets of figures are printed side by
side with their ratios (new / old): the way to show that a change made nothing slower.

Run from the project root::

    .venv/bin/python -m tests.benchmarks.bench_before_after --before 52801cb

The default compares SQLite at 10,000 and 1,000,000 stored with 52801cb, the last commit
before the PostgreSQL scale work (whose benchmark still held hosted GETs and awards flat on
SQLite). ``--databases postgresql`` compares PostgreSQL instead.

``--bench completions`` (or any other benchmark module's name without ``bench_``) runs that
script instead, in the old checkout and in this one by turns for ``--rounds`` rounds, and
prints what each run printed::

    .venv/bin/python -m tests.benchmarks.bench_before_after --before b4d984e \
        --bench completions --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_scale import Figures, figure_rows, render

PROJECT = Path(__file__).resolve().parents[2]
BEFORE = "52801cb"


def run_scale(checkout: Path, database: str, sizes: list[int], out: Path) -> list[Figures]:
    """Run bench_scale on one database in a checkout; return its figures."""
    command = [
        sys.executable,
        "-m",
        "tests.benchmarks.bench_scale",
        "--databases",
        database,
        "--sizes",
        *map(str, sizes),
        "--json",
        str(out),
    ]
    # PYTHONPATH first: the checkout's own issuer package, not the one installed in the venv.
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    completed = subprocess.run(command, cwd=checkout, env=env, check=False)
    if not out.exists():
        raise RuntimeError(f"bench_scale failed in {checkout} (exit {completed.returncode})")
    data: dict[str, list[dict[str, Any]]] = json.loads(out.read_text())
    return [Figures(**row) for row in data[database]]


def worktree(commit: str, folder: Path) -> Path:
    """Check out commit in a new worktree under folder, with this checkout's tests/."""
    path = folder / "before"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(path), commit],
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    shutil.rmtree(path / "tests")
    shutil.copytree(PROJECT / "tests", path / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    return path


def remove_worktree(path: Path) -> None:
    """Remove a worktree made by worktree()."""
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=PROJECT, check=False)


def compare(before: list[Figures], after: list[Figures]) -> str:
    """Old and new figures side by side, size by size, with the ratio new / old."""
    header = ["figure"]
    for old in before:
        header += [f"old {old.stored:,}", f"new {old.stored:,}", "new/old"]
    lines = [header]
    for label, value in figure_rows({"after": after}):
        line = [label]
        for old, new in zip(before, after, strict=True):
            line += [f"{value(old):.2f}", f"{value(new):.2f}", f"{value(new) / value(old):.2f}x"]
        lines.append(line)
    return render(lines)


def run_script(checkout: Path, bench: str) -> str:
    """Run one benchmark script in a checkout; return what it printed."""
    command = [sys.executable, "-m", f"tests.benchmarks.bench_{bench}"]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    completed = subprocess.run(
        command, cwd=checkout, env=env, capture_output=True, text=True, check=False
    )
    return (
        completed.stdout + completed.stderr[-2000:]
        if completed.returncode > 1
        else completed.stdout
    )


def compare_script(old_checkout: Path, before: str, bench: str, rounds: int) -> None:
    """Run a benchmark script in both checkouts by turns and print each run's output."""
    for round_number in range(1, rounds + 1):
        for label, checkout in (
            (f"{before} (old)", old_checkout),
            ("this checkout (new)", PROJECT),
        ):
            print(f"== bench_{bench}, round {round_number}: {label} ==", flush=True)
            print(run_script(checkout, bench).rstrip(), flush=True)


def main() -> int:
    """Measure the earlier commit, then this checkout, and print both."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="the earlier commit")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--databases", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--bench", help="another benchmark to compare, e.g. completions")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-before-after-") as tmp:
        folder = Path(tmp)
        old_checkout = worktree(args.before, folder)
        if args.bench:
            try:
                compare_script(old_checkout, args.before, args.bench, args.rounds)
            finally:
                remove_worktree(old_checkout)
            return 0
        try:
            print(f"== {args.before} (old) ==", flush=True)
            before = run_scale(old_checkout, args.databases, args.sizes, folder / "old.json")
            print("== this checkout (new) ==", flush=True)
            after = run_scale(PROJECT, args.databases, args.sizes, folder / "new.json")
        finally:
            remove_worktree(old_checkout)
    print()
    print(f"{args.databases}: {args.before} (old) against this checkout (new)")
    print(compare(before, after))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
