"""Build what instructors hand out: a student repository template and a Gradescope bundle.

    python -m grader.template student OUT_DIR [--grader SPEC]
    python -m grader.template gradescope OUT.zip [--grader SPEC]

Neither contains solutions/. Both install the grader with pip from SPEC: a wheel built from
this repository (`pip wheel --no-deps -w dist .`) holds only the `grader` package, so it
can be published (a release asset, a package index) without the reference solutions.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

import click

from grader import exercises

DEFAULT_SPEC = "dl-grader @ https://example.org/dl-grader/dl_grader-0.1.0-py3-none-any.whl"
CPU_TORCH = "pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu"


def classroom_workflow(spec: str) -> str:
    """One step per exercise (its id is the exercise name), then the Classroom reporter."""
    names = exercises.names()
    steps = "".join(
        f"      - name: {name}\n        id: {name}\n"
        f"        run: grade exercises --only {name} --output classroom=classroom-{name}.txt\n"
        for name in names
    )
    env = "".join(
        f'          {name.upper()}_RESULTS: "${{{{ steps.{name}.outputs.result }}}}"\n'
        for name in names
    )
    return f"""name: Autograding Tests
on: [push, workflow_dispatch, repository_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
          cache-dependency-path: .github/workflows/classroom.yml
      - name: Cache MNIST
        uses: actions/cache@v4
        with:
          path: ~/.cache/dl-grader
          key: mnist-v1
      - name: Install the grader (CPU-only torch)
        run: |
          {CPU_TORCH}
          pip install "{spec}"
{steps}      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {",".join(names)}
"""


STUDENT_README = """# Differentiable programming with PyTorch: exercises

Fill in the files in `exercises/`: replace each `raise NotImplementedError(...)` under
`# TODO(student): write your code here` with your code. Check your work at any time:

```bash
pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu
pip install "{spec}"
grade                    # all exercises; grade --only tensors for one
grade -v                 # with tracebacks and what your code printed
```

Every push is graded by GitHub Classroom with the same checks (`.github/workflows/classroom.yml`).
"""


def write_student_template(out: Path, spec: str, stubs: Path) -> list[Path]:
    """The student repository: stubs, a README and the Classroom workflow; no solutions."""
    target = out / "exercises"
    target.mkdir(parents=True, exist_ok=True)
    for name in exercises.names():
        shutil.copy(stubs / f"{name}.py", target / f"{name}.py")
    workflow = out / ".github" / "workflows" / "classroom.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(classroom_workflow(spec), encoding="utf-8")
    (out / "README.md").write_text(STUDENT_README.format(spec=spec), encoding="utf-8")
    (out / ".gitignore").write_text("__pycache__/\n*.pt\nclassroom-*.txt\n", encoding="utf-8")
    return sorted(p for p in out.rglob("*") if p.is_file())


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when the autograder image is built.
set -euo pipefail
apt-get update && apt-get install -y python3 python3-pip python3-venv
python3 -m venv /opt/grader && . /opt/grader/bin/activate
{cpu_torch}
pip install "{spec}"
# Fetch MNIST into the cache now, so that grading never downloads.
python -c "from grader import data; data.verify(data.locate())"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT exists for local tests.
set -uo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
[ -f /opt/grader/bin/activate ] && . /opt/grader/bin/activate
work="$root/work/exercises"
rm -rf "$root/work" && mkdir -p "$work" "$root/results"
find "$root/submission" -name '*.py' -exec cp {} "$work/" \\;
grade "$work" --output gradescope="$root/results/results.json" "$@"
status=$?
if [ ! -s "$root/results/results.json" ]; then
  printf '{"score": 0, "output": "The grader failed (exit %s); please contact the staff."}\\n' \\
    "$status" > "$root/results/results.json"
fi
exit 0
"""


def write_gradescope_bundle(zip_path: Path, spec: str) -> list[str]:
    """A zip with setup.sh and run_autograder at its top level, both executable."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    files = {
        "setup.sh": SETUP_SH.format(cpu_torch=CPU_TORCH, spec=spec),
        "run_autograder": RUN_AUTOGRADER,
    }
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            bundle.writestr(info, text)
    return sorted(files)


GRADER_OPTION = click.option(
    "--grader",
    "spec",
    default=DEFAULT_SPEC,
    show_default=True,
    help="What pip installs the grader from (a wheel URL or a package name).",
)


@click.group()
def main() -> None:
    """Build the student template or the Gradescope bundle (never with solutions)."""


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@GRADER_OPTION
@click.option(
    "--exercises",
    "stubs",
    default=Path("exercises"),
    show_default=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The folder of generated stubs to hand out.",
)
def student(out: Path, spec: str, stubs: Path) -> None:
    """Write the student repository template into OUT."""
    if out.exists() and any(out.iterdir()):
        raise click.UsageError(f"{out} is not empty")
    missing = [n for n in exercises.names() if not (stubs / f"{n}.py").is_file()]
    if missing:
        raise click.UsageError(f"{stubs} has no stub for {', '.join(missing)}")
    files = write_student_template(out, spec, stubs)
    click.echo(f"wrote {len(files)} files to {out}")


@main.command()
@click.argument("zip_path", metavar="OUT.zip", type=click.Path(dir_okay=False, path_type=Path))
@GRADER_OPTION
def gradescope(zip_path: Path, spec: str) -> None:
    """Write the Gradescope autograder bundle (upload it as the autograder zip)."""
    names = write_gradescope_bundle(zip_path, spec)
    click.echo(f"wrote {zip_path} with {', '.join(names)}")


if __name__ == "__main__":
    main()
