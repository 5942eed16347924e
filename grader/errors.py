"""The two ways grading can stop without a report, each with its own exit code."""


class UsageError(ValueError):
    """Bad input from the user (exit code 2): the message is one line that says what to do."""


class GraderError(RuntimeError):
    """The grader itself failed, not the submission (exit code 3)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so grading stops the same way as on Ctrl-C."""


class GradingInterrupted(Exception):
    """Ctrl-C or SIGTERM: the report so far (unrun checks marked) and the exit code to use."""

    def __init__(self, report: object, signal_name: str) -> None:
        super().__init__(f"grading was interrupted by {signal_name}")
        self.report = report
        self.signal_name = signal_name
        self.exit_code = 143 if signal_name == "SIGTERM" else 130
