"""The two ways grading can stop without a report, each with its own exit code."""

import functools
import signal


class UsageError(ValueError):
    """Bad input from the user (exit code 2): the message is one line that says what to do."""


class GraderError(RuntimeError):
    """The grader itself failed, not the submission (exit code 3)."""


class Terminated(KeyboardInterrupt):
    """A termination signal (SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2), turned into an
    exception so grading stops the same way as on Ctrl-C; the class names the signal."""

    signal_name = "SIGTERM"


@functools.cache
def terminated_by(signum: int) -> type[Terminated]:
    """The Terminated subclass for one signal, so the type alone says which one it was."""
    name = signal.Signals(signum).name
    return type(f"Terminated{name.removeprefix('SIG')}", (Terminated,), {"signal_name": name})


def exit_code(signal_name: str) -> int:
    """128 + the signal's number, as a shell reports it (130 for SIGINT, 143 for SIGTERM)."""
    try:
        return 128 + signal.Signals[signal_name].value
    except KeyError:
        return 130


class GradingInterrupted(Exception):
    """Ctrl-C or a termination signal: the report so far (unrun checks marked) and the exit
    code to use."""

    def __init__(self, report: object, signal_name: str) -> None:
        super().__init__(f"grading was interrupted by {signal_name}")
        self.report = report
        self.signal_name = signal_name
        self.exit_code = exit_code(signal_name)
