"""The two ways grading can stop without a report, each with its own exit code."""


class UsageError(ValueError):
    """Bad input from the user (exit code 2): the message is one line that says what to do."""


class GraderError(RuntimeError):
    """The grader itself failed, not the submission (exit code 3)."""
