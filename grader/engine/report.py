"""The report model's old address: it lives in `grader.report` now (it depends on nothing
of the engine). Kept so that scripts written against `grader.engine.report` still run."""

from grader.report import (
    SCHEMA_PATH,
    SCHEMA_VERSION,
    CheckResult,
    Environment,
    ExerciseResult,
    Report,
    Status,
    check_from_dict,
    dumps,
    exact_sum,
    from_dict,
    load,
    to_dict,
    write_atomic,
)

__all__ = [
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "CheckResult",
    "Environment",
    "ExerciseResult",
    "Report",
    "Status",
    "check_from_dict",
    "dumps",
    "exact_sum",
    "from_dict",
    "load",
    "to_dict",
    "write_atomic",
]
