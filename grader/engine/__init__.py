"""The engine: collecting checks, running checker and worker, and building the report.

Runs in `grade` and in the checker, never beside student code (that is grader/worker/).
"""
