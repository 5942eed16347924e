"""An auto-grader for a differentiable-programming course with PyTorch."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dl-grader")
except PackageNotFoundError:
    __version__ = "0+unknown"
