"""Exercise 5: norms and their gradients (an example of a course's own exercise)."""

import torch
from torch import nn


def row_norms(X: torch.Tensor) -> torch.Tensor:
    """The Euclidean norm of each row of the 2-D tensor X, as a 1-D tensor of X's dtype."""
    # TODO(student): write your code here
    raise NotImplementedError("norms: row_norms")


def normalise_rows(X: torch.Tensor) -> torch.Tensor:
    """X with each row divided by its Euclidean norm (rows of norm 0 are left at 0)."""
    # TODO(student): write your code here
    raise NotImplementedError("norms: normalise_rows")


def norm_gradient(x: torch.Tensor) -> torch.Tensor:
    """The gradient of ||x||^2 with respect to x, computed with autograd (x is not changed)."""
    # TODO(student): write your code here
    raise NotImplementedError("norms: norm_gradient")


class Projector(nn.Module):
    """A linear map from 8 features to 3 with a bias, then a linear map from 3 to 2 without."""

    def __init__(self) -> None:
        super().__init__()
        # TODO(student): write your code here
        raise NotImplementedError("norms: Projector.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO(student): write your code here
        raise NotImplementedError("norms: Projector.forward")
