"""Notebook submissions: made into modules (fast tier), graded by the real commands, and
graded from inside a real Jupyter kernel (nbclient) with `check("tensors")` (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jupytext
import nbformat
import pytest

from grader import ipynb
from grader.stubs import notebook_of
from tests.conftest import EXERCISES, ROOT, Maximum, solution_text, validate_data

NOTEBOOKS = ROOT / "notebooks"
NAMES = ("tensors", "autograd", "mlp", "lenet")


def notebook(*cells: str) -> str:
    made = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    return str(nbformat.writes(made))


def test_definitions_imports_and_assignments_are_kept_and_the_rest_is_said() -> None:
    module = ipynb.convert(
        notebook(
            "!pip install torch\n%matplotlib inline\nimport torch",
            "import matplotlib.pyplot as plt\nSCALE = 2.0\n\ndef double(x):\n    return SCALE * x",
            "from torchvision.datasets import MNIST\ndata = MNIST('.', download=True)\n"
            "loader = list(data)",
            "for epoch in range(3):\n    train_epoch(model)",
            "plt.plot([1, 2])\nprint('done')",
            "history = fit(model)\nsquares = [double(i) for i in range(3)]",
            "from grader.notebook import check\ncheck('tensors')",
        )
    )
    assert "import torch" in module.source and "def double(x):" in module.source
    assert "SCALE = 2.0" in module.source and "squares = [double" in module.source
    for gone in ("pip", "matplotlib", "download", "loader", "epoch", "plt", "fit(", "check"):
        assert gone not in module.source, gone
    assert module.notes == (
        "cell 1, line 1 was not run: a shell command, magic or help",
        "cell 2, line 1 was not run: plotting (not graded)",
        "cell 3, line 2 was not run: a top-level download",
        "cell 4 was not run: top-level training",
        "cell 5 was not run: top-level plotting",
        "cell 6, line 1 was not run: top-level training",
    )
    lines = module.source.splitlines()
    assert module.lines[lines.index("    return SCALE * x")] == (2, 5)


def test_correct_notebooks_in_other_styles_keep_what_their_functions_need() -> None:
    """Ways students write notebooks that run in Jupyter must run when graded."""
    module = ipynb.convert(
        notebook(
            "import torch",
            "if torch.cuda.is_available():\n    device = 'cuda'\nelse:\n    device = 'cpu'",
            "from __future__ import annotations\n\ndef column(A, j, where=device):\n"
            "    return A[:, j]",
            "try:\n    import google.colab\n    IN_COLAB = True\nexcept ImportError:\n"
            "    IN_COLAB = False\nROOT = '/content' if IN_COLAB else '.'",
            "%%time\nSIZE = 3",
            "files = !ls\ntorch.cat?\nLIMIT = 4",
            "def nonzero(A):\n    return ~(\n        A\n        != 0\n    )",
            "SCALE = 2; torch.manual_seed(0)",
            "for x in range(3):\n    print(x)\nx = 5",
            "from grader.notebook import check\nfrom helpers import pick\n"
            "feedback = check('tensors')\nfeedback.report",
            "train_set = torchvision.datasets.MNIST('data', train=False)\n"
            "loader = DataLoader(train_set)",
        ),
        local=frozenset({"helpers"}),
    )
    source = module.source
    assert source.startswith("from __future__ import annotations\n")
    compile(source, "tensors.py", "exec")
    for kept in ("device = 'cuda'", "def column(A, j, where=device)", "IN_COLAB = True", "ROOT =",
                 "SIZE = 3", "LIMIT = 4", "        != 0", "SCALE = 2", "x = 5",
                 "from helpers import pick"):  # fmt: skip
        assert kept in source, kept
    for gone in ("%%time", "!ls", "cat?", "manual_seed", "print", "feedback", "MNIST", "loader"):
        assert gone not in source, gone
    assert "cell 10" not in " ".join(module.notes), "asking the grader is not a note"
    assert "cell 11 was not run: a dataset, loader or evaluation built at the top level" in (
        module.notes
    )


def test_a_cell_that_does_not_parse_is_kept_whole_where_it_was() -> None:
    module = ipynb.convert(notebook("x = 1", "def broken(:\n    pass"))
    assert module.source.splitlines()[1:] == ["def broken(:", "    pass"]
    assert module.lines[1:] == ((2, 1), (2, 2))


def test_the_stub_notebooks_are_made_from_the_stubs() -> None:
    """python -m grader.stubs solutions exercises --notebooks notebooks keeps them in sync
    (also checked with --check in CI)."""
    for name in NAMES:
        made = notebook_of((EXERCISES / f"{name}.py").read_text(encoding="utf-8"), name)
        assert (NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8") == made
        cells = nbformat.reads(made, as_version=4).cells
        assert cells[-1].source.endswith(f'check("{name}")')


# Run, this would train for days: left out, it costs nothing.
TRAINING = """import torch

model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10**9):
    optimizer.zero_grad()
    model(torch.randn(4, 2)).sum().backward()
    optimizer.step()
"""


def solution_notebook(name: str) -> str:
    """The reference solution as a notebook, with what students add around their code."""
    made = jupytext.reads(solution_text(name), fmt="py:light")
    cells = nbformat.v4
    made.cells[:0] = [cells.new_code_cell("!pip install dl-grader\n%matplotlib inline")]
    made.cells += [
        cells.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()"),
        cells.new_code_cell(TRAINING),
        cells.new_code_cell(f'from grader.notebook import check\ncheck("{name}")'),
    ]
    return str(nbformat.writes(made))


def grade_json(folder: Path, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "grader", str(folder), "--format=json", *args],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, object] = json.loads(done.stdout)
    validate_data(report)
    return report


@pytest.mark.slow
@pytest.mark.usefixtures("mnist_root")
def test_the_solutions_as_notebooks_get_full_marks(tmp_path: Path, maximum: Maximum) -> None:
    for name in NAMES:
        (tmp_path / f"{name}.ipynb").write_text(solution_notebook(name), encoding="utf-8")
    report = grade_json(tmp_path)
    assert report["score"] == report["max_score"] == maximum.total
    tensors = report["exercises"][0]  # type: ignore[index]
    assert tensors["notes"][0] == "graded tensors.ipynb"
    assert "cell 1 was not run: a shell command, magic or help" in tensors["notes"]
    assert any("was not run: top-level training" in note for note in tensors["notes"])


@pytest.mark.slow
@pytest.mark.usefixtures("mnist_root")
def test_the_stub_notebooks_score_zero_and_are_not_attempted(tmp_path: Path) -> None:
    for name in NAMES:
        (tmp_path / f"{name}.ipynb").write_bytes((NOTEBOOKS / f"{name}.ipynb").read_bytes())
    report = grade_json(tmp_path)
    statuses = Counter(c["status"] for e in report["exercises"] for c in e["checks"])  # type: ignore[attr-defined]
    assert report["score"] == 0 and set(statuses) == {"not_attempted"}


@pytest.mark.slow
def test_an_error_names_the_cell_and_its_line(tmp_path: Path) -> None:
    made = nbformat.reads(solution_notebook("tensors"), as_version=4)
    index = next(i for i, c in enumerate(made.cells) if "def column(" in c.source)
    made.cells[index].source = made.cells[index].source.replace(
        "    return A[:, j]", "    raise ValueError('not today')"
    )
    line = made.cells[index].source.splitlines().index("    raise ValueError('not today')")
    nbformat.write(made, tmp_path / "tensors.ipynb")
    report = grade_json(tmp_path, "--only=tensors", "--check=tensors.slicing.column")
    (check,) = report["exercises"][0]["checks"]  # type: ignore[index]
    place = f"{tmp_path.name}/tensors.ipynb, cell {index + 1}, line {line + 1}, in column"
    assert check["status"] == "error" and place in check["message"], check["message"]


@pytest.mark.slow
def test_check_in_a_real_kernel_grades_the_code_that_ran(tmp_path: Path, maximum: Maximum) -> None:
    """nbclient runs a notebook whose last cell is check("tensors") in a real ipykernel:
    the verdicts come back from `grade`'s own processes, as a table and as text. A cell
    that raised in the kernel is left out, as it did nothing there either."""
    from nbclient import NotebookClient

    made = jupytext.reads(solution_text("tensors"), fmt="py:light")  # what the kernel runs
    made.cells.insert(0, nbformat.v4.new_code_cell("from grader.notebook import check"))
    typo = nbformat.v4.new_code_cell("ones = tensor([1.0])")  # raises: NameError
    typo.metadata["tags"] = ["raises-exception"]
    made.cells.append(typo)
    made.cells.append(nbformat.v4.new_code_cell('feedback = check("tensors")\nfeedback'))
    made.cells.append(nbformat.v4.new_code_cell("print(feedback.report.score)"))
    client = NotebookClient(made, timeout=600, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}
    })  # fmt: skip
    client.execute(env={**os.environ})
    outputs = made.cells[-2].outputs
    (shown,) = [o for o in outputs if o.output_type == "execute_result"]
    top = f"{maximum['tensors']:g}"
    assert f"{top} / {top} points" in shown.data["text/html"]
    assert "tensors.slicing.column" in shown.data["text/html"]
    assert f"Total: {top} / {top} points" in shown.data["text/plain"]
    assert made.cells[-1].outputs[0].text.strip() == str(maximum["tensors"])


@pytest.mark.slow
def test_grade_class_and_gradescope_take_notebooks(tmp_path: Path, maximum: Maximum) -> None:
    from grader.gradescope_files import pick

    upload = tmp_path / "upload" / "work"
    upload.mkdir(parents=True)
    (upload / "tensors.ipynb").write_text(solution_notebook("tensors"), encoding="utf-8")
    picked = tmp_path / "picked"
    assert pick(tmp_path / "upload", picked, NAMES) == ["tensors: graded work/tensors.ipynb"]
    assert (picked / "tensors.ipynb").is_file()
    out = tmp_path / "grades"
    done = subprocess.run(
        [sys.executable, "-m", "grader.cohort", str(tmp_path / "upload"), "--out", str(out),
         "--only", "tensors", "--workers", "1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    grades = (out / "grades.csv").read_text().splitlines()
    assert grades[1].startswith(f"work,{maximum['tensors']:g},")


@pytest.mark.slow
def test_the_notebook_template_hands_out_notebooks_with_colab_links(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from grader.template import main

    out = tmp_path / "template"
    args = ["student", str(out), "--grader", "g", "--notebooks", str(NOTEBOOKS), "--repo", "u/r"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "exercises").iterdir()) == sorted(
        f"{name}.ipynb" for name in NAMES
    )
    readme = (out / "README.md").read_text()
    for name in NAMES:
        link = f"https://colab.research.google.com/github/u/r/blob/main/exercises/{name}.ipynb"
        assert link in readme
    assert "grade exercises --only tensors" in (out / ".github/workflows/classroom.yml").read_text()
