"""The Gradescope autograder bundle: setup.sh, run_autograder and, with a course, the course.

Upload the zip as the autograder. `setup.sh` installs Python, CPU-only torch, bubblewrap
and the grader, and fetches MNIST once; `run_autograder` picks one uploaded file per
exercise (grader.gradescope_files), derives the submitters' seed, grades every check and
writes /autograder/results/results.json. Built by `python -m grader.template gradescope`.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from grader import handout
from grader.settings import Settings

CPU_TORCH = "pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu"


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when the autograder image is built.
set -euo pipefail
# bubblewrap gives each student worker a file system of its own, where the image allows it
apt-get update && apt-get install -y python3 python3-pip python3-venv bubblewrap
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
notes="$root/work/notes.txt"
rm -rf "$root/work" && mkdir -p "$work" "$root/results"
# The course the bundle was built with (its hidden checks too), where Gradescope unpacked it.
course=()
for dir in "$root/source" "$(dirname "$0")"; do
  if [ -z "${course[*]}" ] && [ -f "$dir/course/course.toml" ]; then
    course=(--course "$dir/course/course.toml")
    secret_file="$dir/course/seed.secret"
  fi
done
# The submitters' own seed (HMAC of their id under the course secret, as grade-class).
if ! seed=$(@SECRET@python -m grader.gradescope_files seed \\
  "$root/submission_metadata.json" "${course[@]}"); then
  printf '{"score": 0, "output": "Could not tell who submitted; contact the staff."}\\n' \\
    > "$root/results/results.json"
  exit 0
fi
# One file per exercise, by a stated rule (python -m grader.gradescope_files --help).
python -m grader.gradescope_files pick "$root/submission" "$work" "$notes" "${course[@]}"
GRADER_SEED="$seed" grade "$work" "${course[@]}" --all-checks \\
  --output gradescope="$root/results/results.json" "$@"
status=$?
python -m grader.gradescope_files annotate "$root/results/results.json" "$notes"
if [ ! -s "$root/results/results.json" ]; then
  printf '{"score": 0, "output": "The grader failed (exit %s); please contact the staff."}\\n' \\
    "$status" > "$root/results/results.json"
fi
exit 0
"""


def write_gradescope_bundle(zip_path: Path, spec: str, settings: Settings) -> list[str]:
    """A zip with setup.sh and run_autograder at its top level, both executable, and the
    course (its hidden checks and seed secret too) under course/."""
    parsed = settings.course
    secret = handout.seed_secret(parsed)
    read_secret = f'{parsed.seed_secret_env}="$(cat "$secret_file")" ' if secret else ""
    files: dict[str, bytes] = {
        "setup.sh": SETUP_SH.format(cpu_torch=CPU_TORCH, spec=spec).encode(),
        "run_autograder": RUN_AUTOGRADER.replace("@SECRET@", read_secret).encode(),
    }
    for relative, path in handout.course_files(parsed, hidden=True).items():
        files[f"course/{relative}"] = path.read_bytes()
    if secret:
        files["course/seed.secret"] = secret.encode()
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            mode = 0o755 if "/" not in name else 0o600 if name.endswith(".secret") else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            bundle.writestr(info, data)
    return sorted(files)
