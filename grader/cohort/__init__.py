"""Grading a whole class: `grade-class SUBMISSIONS --out DIR`.

The pipeline reads as its modules: `entries` finds one entry per student (folders, zips,
a GitHub Classroom clone, a Gradescope export), with its time (`deadlines`), and packs its
files; `pool` grades them with the same engine as `grade`, in parallel here or on a Dask
cluster; `gradebook` commits each result to SQLite as soon as it is known; `outputs` then
writes, from the gradebook, the lateness, the CSV files (`exports`), the LMS import
(`lms`, `roster`), the feedback files (`feedback`) and the class report (`html`, with
`analysis`, `plots` and `similarity`). `options` declares the workflow's own options.
"""
