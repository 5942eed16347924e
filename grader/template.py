"""Build what instructors hand out: a student repository template and a Gradescope bundle.

    python -m grader.template student OUT_DIR --grader SPEC [--course FILE]
    python -m grader.template gradescope OUT.zip --grader SPEC [--course FILE]

With a course file (grader.course; ./course.toml when there is one), both carry it: the
template with the checks of the course's own exercises and without its hidden checks, the
bundle with everything, the per-student seed secret included. Neither contains
solutions/. Both install the grader with pip from SPEC: a wheel built from
this repository (`pip wheel --no-deps -w dist .`) holds only the `grader` package, so it
can be published (a release asset, a package index) without the reference solutions.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
from pathlib import Path

import click

from grader import api, course, exercises, handout
from grader.engine.events import CheckSpec
from grader.engine.runner import collect
from grader.errors import UsageError
from grader.formats import classroom
from grader.gradescope_bundle import CPU_TORCH, write_gradescope_bundle
from grader.report import Status
from grader.settings import Settings

INSTALL_TIMEOUT_MIN = 10
SETUP_MIN = 3  # checkout, setup-python, the caches and the reporter
JOB_TIMEOUT_MIN = 40


def step_timeout_min(exercise: exercises.Exercise) -> int:
    """The step's limit: the exercise's own limit, plus start-up and writing the result."""
    return math.ceil(exercise.timeout_s / 60) + 2


def fallback_result(name: str, specs: list[CheckSpec]) -> str:
    """The Classroom payload a step writes when `grade` wrote none (not installed, crashed):
    every check of the exercise an error, so the reporter still gets a valid result."""
    message = f"{name}: the grader could not run in this step; open the step's log"
    tests = [
        classroom.test_entry(s.id, s.name, 0, s.points, Status.ERROR, message, 0) for s in specs
    ]
    maximum = classroom.whole(sum(s.points for s in specs) or 1)
    data = {"version": 1, "status": "error", "max_score": maximum, "tests": tests}
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode("ascii")


def grading_step(exercise: exercises.Exercise, specs: list[CheckSpec], pinned: str) -> str:
    """One exercise: runs unless the job was cancelled, and always leaves a result. With
    a course, it grades only when the course's files are those handed out (`pinned`)."""
    name = exercise.name
    grade = (
        f"grade exercises --only {name} --output classroom=classroom-{name}.txt"
        ' || echo "grade exited with $?"'
    )
    if pinned:
        grade = (
            f"if printf '{pinned}' | sha256sum --check --quiet; then\n"
            f"            {grade}\n"
            "          else\n"
            '            echo "the course files were changed: this step cannot grade"\n'
            "          fi"
        )
    return (
        f"      - name: {name}\n        id: {name}\n"
        f"        if: ${{{{ !cancelled() }}}}\n"
        f"        timeout-minutes: {step_timeout_min(exercise)}\n"
        f"        run: |\n"
        f"          {grade}\n"
        f"          grep -q '^result=' \"$GITHUB_OUTPUT\" ||"
        f' echo "result={fallback_result(name, specs)}" >> "$GITHUB_OUTPUT"\n'
    )


CACHE = """        with:
          path: |
            ~/.cache/pip
            ~/.cache/dl-grader
          key: dl-grader-${{ runner.os }}-${{ hashFiles('.github/workflows/classroom.yml') }}
"""


def classroom_workflow(spec: str, settings: Settings, pinned: str = "") -> str:
    """One step per exercise (its id is the exercise name), then the Classroom reporter.

    Every step after the install runs unless the job is cancelled, so one failure never
    loses the other exercises' points; the caches are saved even when checks fail. The
    points are the course's, of the checks students get (the visible ones); `pinned` are
    sha256sum's lines for the course files the steps must find unchanged."""
    chosen = settings.course.exercises
    collected = collect(chosen, settings)
    names = settings.course.names()
    steps = "".join(grading_step(e, collected[e.name], pinned) for e in chosen)
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
    timeout-minutes: {JOB_TIMEOUT_MIN}
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.11"
      - name: Restore the pip and MNIST caches
        id: cache
        uses: actions/cache/restore@v5
{CACHE}      - name: Install the grader (CPU-only torch)
        timeout-minutes: {INSTALL_TIMEOUT_MIN}
        run: |
          {CPU_TORCH}
          pip install "{spec}"
{steps}      - name: Save the pip and MNIST caches (also when checks fail)
        if: ${{{{ always() && steps.cache.outputs.cache-hit != 'true' }}}}
        uses: actions/cache/save@v5
{CACHE}      - name: Autograding Reporter
        if: ${{{{ !cancelled() }}}}
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {",".join(names)}
"""


def time_budget(chosen: tuple[exercises.Exercise, ...]) -> str:
    """The template README's sentence on time limits, from the same numbers as the workflow."""
    limits = ", ".join(f"{e.name} {e.timeout_s:g} s" for e in chosen)
    return (
        f"Time limits: each exercise is stopped after its limit ({limits}); the whole job "
        f"after {JOB_TIMEOUT_MIN} minutes. Each exercise's points reach the classroom even "
        "when another exercise fails or runs out of time."
    )


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
{budget}
{notebooks}"""

NOTEBOOKS_README = """
## Notebooks, in Jupyter or Colab

The exercises are notebooks: write your code in their cells. Only definitions, imports and
assignments count; what a cell runs at the top level (training, plots, `!pip`) is left out
when grading, and the report says which cells. The last cell of each notebook,
`check("NAME")`, grades the code you have run so far, with the same checks and messages as
`grade`. In Colab, run `!pip install "{spec}"` first; Colab's GPU is used with
`check("mlp", device="cuda")`. Open them in Colab:

{links}
"""


def colab_links(names: list[str], repo: str) -> str:
    """One "Open in Colab" badge per notebook of the repository `repo` (OWNER/NAME)."""
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    return "\n".join(
        f"- {name}: [![Open In Colab]({badge})]"
        f"(https://colab.research.google.com/github/{repo}/blob/main/exercises/{name}.ipynb)"
        for name in names
    )


def stub_files(
    chosen: tuple[exercises.Exercise, ...], stubs: Path, notebooks: Path | None = None
) -> dict[str, Path]:
    """Each graded exercise's stub: the built-in ones from `stubs` (or as notebooks from
    `notebooks`), the course's own from their folder (python -m grader.stubs writes all)."""
    found = {e.name: e.folder / "stub.py" if e.folder else stubs / f"{e.name}.py" for e in chosen}
    if notebooks is not None:
        found.update({e.name: notebooks / f"{e.name}.ipynb" for e in chosen if not e.folder})
    missing = [f"{name} ({path})" for name, path in found.items() if not path.is_file()]
    if missing:
        raise UsageError(f"no stub for {', '.join(missing)}: run python -m grader.stubs")
    return found


def write_student_template(
    out: Path,
    spec: str,
    stubs: Path,
    settings: Settings,
    notebooks: tuple[Path, str] | None = None,
) -> list[Path]:
    """The student repository: stubs (or notebooks, with `notebooks`: their folder and the
    repository's OWNER/NAME for the Colab links), a README, the Classroom workflow and the
    course file with its own exercises' checks; no solutions, no hidden checks."""
    target = out / "exercises"
    target.mkdir(parents=True, exist_ok=True)
    chosen = settings.course.exercises
    handed = stub_files(chosen, stubs, notebooks[0] if notebooks else None)
    for name, stub in handed.items():
        shutil.copy(stub, target / f"{name}{stub.suffix}")
    names = [name for name, stub in handed.items() if stub.suffix == ".ipynb"]
    extra = ""
    if notebooks is not None:
        extra = NOTEBOOKS_README.format(spec=spec, links=colab_links(names, notebooks[1]))
    written = handout.write_student_course(settings, out)
    workflow = out / ".github" / "workflows" / "classroom.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    pinned = handout.pinned(out, written)
    workflow.write_text(classroom_workflow(spec, settings, pinned), encoding="utf-8")
    (out / "README.md").write_text(
        STUDENT_README.format(spec=spec, budget=time_budget(chosen), notebooks=extra),
        encoding="utf-8",
    )
    (out / ".gitignore").write_text("__pycache__/\n*.pt\nclassroom-*.txt\n", encoding="utf-8")
    return sorted(p for p in out.rglob("*") if p.is_file())


COURSE_OPTION = click.option(
    "--course",
    "course_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The course file [default: ./{course.FILE_NAME} if there is one, else the built-in].",
)


def load(course_file: Path | None) -> Settings:
    """The settings a template is made for: the course's, visible checks."""
    try:
        return api.with_course(Settings(course_file=course_file))
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None


GRADER_OPTION = click.option(
    "--grader",
    "spec",
    required=True,
    help="What pip installs the grader from: the URL of the wheel built from this repository "
    "(pip wheel --no-deps -w dist .), or a package name and version.",
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
@COURSE_OPTION
@click.option(
    "--notebooks",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Hand out the exercises as the notebooks in this folder (python -m grader.stubs "
    "... --notebooks notebooks makes them).",
)
@click.option(
    "--repo",
    default="OWNER/REPO",
    show_default=True,
    help="The template repository's OWNER/NAME on GitHub, for the notebooks' Colab links.",
)
def student(
    out: Path,
    spec: str,
    stubs: Path,
    course_file: Path | None,
    notebooks: Path | None,
    repo: str,
) -> None:
    """Write the student repository template into OUT."""
    if out.exists() and any(out.iterdir()):
        raise click.UsageError(f"{out} is not empty")
    settings = load(course_file)
    handout_notebooks = (notebooks, repo) if notebooks is not None else None
    try:
        stub_files(settings.course.exercises, stubs, notebooks)
        files = write_student_template(out, spec, stubs, settings, handout_notebooks)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"wrote {len(files)} files to {out}")


@main.command()
@click.argument("zip_path", metavar="OUT.zip", type=click.Path(dir_okay=False, path_type=Path))
@GRADER_OPTION
@COURSE_OPTION
def gradescope(zip_path: Path, spec: str, course_file: Path | None) -> None:
    """Write the Gradescope autograder bundle (upload it as the autograder zip)."""
    try:
        names = write_gradescope_bundle(zip_path, spec, load(course_file))
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"wrote {zip_path} with {', '.join(names)}")


if __name__ == "__main__":
    main()
