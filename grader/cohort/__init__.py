"""Grading a whole class: `grade-class SUBMISSIONS --out DIR`.

The pipeline reads as its modules: `entries` finds one entry per student (folders, zips,
a GitHub Classroom clone, a Gradescope export) and packs its files; `pool` grades them
with the same engine as `grade`, in parallel here or on a Dask cluster; `gradebook`
commits each result to SQLite as soon as it is known; `exports` and `html` write the
CSV files and the class report from the gradebook.
"""
