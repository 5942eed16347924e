"""What a change costs: the grader at a revision (--before) against the grader now.

In one run on the same machine, alternating, whole processes, median of --repeats:
`grade solutions/` and `grade exercises/ --only tensors` (a student's first feedback),
once with the grader at --before (a git revision, checked out into a temporary worktree
and put first on PYTHONPATH) and once with this checkout.

    python benchmarks/bench_trusted.py --data-dir ../shared/data [--before 1184ad2] [--repeats 3]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
RUNS = {
    "grade solutions/": ["solutions"],
    "grade exercises/ --only tensors": ["exercises", "--only", "tensors"],
}


def timed(code: Path, args: list[str], data_dir: Path) -> float:
    """Seconds one `grade` process takes with the grader found in `code`."""
    env = {**os.environ, "PYTHONPATH": str(code), "GRADER_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "grader", str(ROOT / args[0]), *args[1:], "--no-download"]
    started = time.perf_counter()
    done = subprocess.run(  # not from ROOT: `python -m` would put ROOT's grader first
        command, env=env, capture_output=True, text=True, check=False, cwd=tempfile.gettempdir()
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise click.ClickException(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--before", default="1184ad2", show_default=True, help="The revision to compare.")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True)
def main(data_dir: Path, before: str, repeats: int) -> None:
    """Print the medians before and after, and the ratio after / before."""
    with tempfile.TemporaryDirectory(prefix="bench-before-") as tmp:
        Path(tmp).chmod(0o755)  # a worker under its own user id reads the old grader there
        old = Path(tmp) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(old), before],
            check=True,
        )
        try:
            times: dict[tuple[str, str], list[float]] = {}
            for round_ in range(repeats):
                for label, args in RUNS.items():
                    for which, code in (("before", old), ("after", ROOT)):
                        seconds = timed(code, args, data_dir.resolve())
                        times.setdefault((label, which), []).append(seconds)
                        click.echo(f"round {round_ + 1}: {which:<6} {label}: {seconds:.2f} s")
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False
            )
    click.echo(f"\nmedians of {repeats} (before = {before}):")
    for label in RUNS:
        was, now = (statistics.median(times[(label, w)]) for w in ("before", "after"))
        click.echo(
            f"  {label:<34} before {was:6.2f} s   after {now:6.2f} s   after/before {now / was:.2f}"
        )


if __name__ == "__main__":
    main()
