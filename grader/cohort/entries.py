"""One entry per student, from the layouts instructors have, packed as file bytes.

Layouts: a folder of folders or `.zip` files (the folder or zip name is the student id);
GitHub Classroom's `gh classroom clone student-repos` (`<assignment>-submissions/
<assignment>-<login>/`: the login is the id, the last commit the time); a Gradescope export
(`submission_metadata.yml` names each `submission_<n>` folder's submitters and time).
Inside an entry, grader.layout decides which file is which exercise (`grade` applies the
same rule to the files packed here). An entry that cannot be read becomes a `Packed` with a
problem, never an exception that stops the class.
"""

from __future__ import annotations

import functools
import hashlib
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from grader import exercises, layout
from grader.cohort import deadlines
from grader.gradescope_files import member_ids

METADATA = "submission_metadata.yml"
MAX_FILE_BYTES = 2_000_000
MAX_TOTAL_BYTES = 20_000_000
MAX_FILES = 200


@dataclass(frozen=True)
class Entry:
    """Where one student's submission lies."""

    student: str
    path: Path
    submitted_at: datetime | None = None  # the last commit of a clone, Gradescope's time
    members: tuple[str, ...] = ()  # a group's ids, when the layout names them apart

    def ids(self) -> tuple[str, ...]:
        return self.members or (self.student,)


@dataclass(frozen=True)
class Packed:
    """A submission as data: its files (relative path -> bytes), their hash, or a problem."""

    student: str
    files: dict[str, bytes] = field(default_factory=dict)
    problem: str = ""

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return digest.hexdigest()[:16] if self.files else ""


def discover(root: Path) -> list[Entry]:
    """Every student entry under `root`, sorted by student id."""
    if (root / METADATA).is_file():
        return sorted(gradescope_entries(root), key=lambda e: e.student)
    prefix = classroom_prefix(root)
    found = []
    for child in sorted(root.iterdir()):
        if layout.skipped(child.name):
            continue
        if child.is_dir() or child.suffix == ".zip":
            name = child.stem if child.suffix == ".zip" else child.name
            moment = deadlines.commit_time(child) if child.is_dir() else None
            found.append(Entry(name.removeprefix(prefix) or name, child, moment))
    return found


def classroom_prefix(root: Path) -> str:
    """`gh classroom clone student-repos` writes `<slug>-submissions/<slug>-<login>/`."""
    slug = root.name.removesuffix("-submissions")
    return f"{slug}-" if slug != root.name else ""


def gradescope_entries(root: Path) -> Iterator[Entry]:
    """Gradescope's export: each folder's submitters (sid, else email, else name)."""
    import yaml

    metadata = yaml.safe_load((root / METADATA).read_text(encoding="utf-8")) or {}
    for folder, info in metadata.items():
        people = (info or {}).get(":submitters") or []
        ids = tuple(member_ids(people, ":"))
        student = "+".join(ids) or str(folder)
        yield Entry(student, root / str(folder), deadlines.gradescope_time(info or {}), ids)


def pack(entry: Entry, names: tuple[str, ...] = exercises.names()) -> Packed:
    """The entry's files, or the one problem that makes it ungradable."""
    try:
        if entry.path.suffix == ".zip":
            files = read_zip(entry.path, names)
        else:
            files = read_folder(entry.path, names)
        files = strip_common_folder(files)
        check_tree(files)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        return Packed(entry.student, problem=f"{entry.path.name}: {exc}")
    if not files:
        return Packed(entry.student, problem=f"{entry.path.name}: no files")
    if not layout.choose(files, names):
        wanted = ", ".join(f"{name}.py" for name in names)
        listed = ", ".join(sorted(files)[:5])
        return Packed(
            entry.student,
            problem=f"{entry.path.name}: none of {wanted} (or .ipynb) found (has {listed})",
        )
    return Packed(entry.student, files)


def keep(name: str) -> bool:
    """What `grade` would look at too (grader.layout skips the rest), and only names that
    can be written back as they are."""
    parts = PurePosixPath(name).parts
    writable = all(p not in ("", ".", "..") and len(p.encode()) <= 255 for p in parts)
    return bool(parts) and writable and "\0" not in name and not layout.skipped(name)


def add(
    files: dict[str, bytes], name: str, size: int, read: Callable[[], bytes], names: tuple[str, ...]
) -> None:
    """Add one file; an oversized one that no exercise could be graded from is left out
    (a data set, a saved model), as `grade`'s copy step leaves it."""
    if size > MAX_FILE_BYTES:
        if layout.candidate(name, names):
            raise ValueError(f"{name} is larger than {MAX_FILE_BYTES:,} bytes")
        return
    if len(files) >= MAX_FILES or sum(map(len, files.values())) + size > MAX_TOTAL_BYTES:
        raise ValueError(f"more than {MAX_FILES} files or {MAX_TOTAL_BYTES:,} bytes")
    files[name] = read()


def read_folder(folder: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """Regular files only, links never followed (a link loop or a link out of the folder is
    skipped), stopping at the first limit passed."""
    files: dict[str, bytes] = {}
    for top, dirs, leaves in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not layout.skipped(d))
        for leaf in sorted(leaves):
            path = Path(top) / leaf
            name = path.relative_to(folder).as_posix()
            if path.is_file() and not path.is_symlink() and keep(name):
                add(files, name, path.stat().st_size, path.read_bytes, names)
    return files


def read_zip(path: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if info.is_dir() or name.is_absolute() or ".." in name.parts or not keep(str(name)):
                continue
            add(files, str(name), info.file_size, functools.partial(archive.read, info), names)
    return files


def check_tree(files: dict[str, bytes]) -> None:
    """A name that is both a file and a folder (tensors.py and tensors.py/x.py) cannot be
    written back: the entry's problem, never a crash of the class."""
    folders = {str(parent) for name in files for parent in PurePosixPath(name).parents}
    clash = sorted(folders & set(files))
    if clash:
        raise ValueError(f"{clash[0]} is both a file and a folder")


def strip_common_folder(files: dict[str, bytes]) -> dict[str, bytes]:
    """A zip of a folder holds `folder/tensors.py`: grade what is inside the folder."""
    while files and all("/" in name for name in files):
        tops = {name.split("/", 1)[0] for name in files}
        if len(tops) != 1:
            break
        files = {name.split("/", 1)[1]: data for name, data in files.items()}
    return files


def unpack(packed: Packed, folder: Path) -> Path:
    """Write the files into `folder` (which must not exist) and return it."""
    for name, data in packed.files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
