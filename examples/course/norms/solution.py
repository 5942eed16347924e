"""Exercise 5: norms and their gradients (an example of a course's own exercise)."""

import torch
from torch import nn


def row_norms(X: torch.Tensor) -> torch.Tensor:
    """The Euclidean norm of each row of the 2-D tensor X, as a 1-D tensor of X's dtype."""
    # BEGIN SOLUTION
    return X.pow(2).sum(dim=1).sqrt()
    # END SOLUTION


def normalise_rows(X: torch.Tensor) -> torch.Tensor:
    """X with each row divided by its Euclidean norm (rows of norm 0 are left at 0)."""
    # BEGIN SOLUTION
    norms = row_norms(X).unsqueeze(1)
    return torch.where(norms > 0, X / norms.clamp_min(1e-30), torch.zeros_like(X))
    # END SOLUTION


def norm_gradient(x: torch.Tensor) -> torch.Tensor:
    """The gradient of ||x||^2 with respect to x, computed with autograd (x is not changed)."""
    # BEGIN SOLUTION
    leaf = x.detach().clone().requires_grad_(True)
    leaf.pow(2).sum().backward()
    return leaf.grad
    # END SOLUTION


class Projector(nn.Module):
    """A linear map from 8 features to 3 with a bias, then a linear map from 3 to 2 without."""

    def __init__(self) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.down = nn.Linear(8, 3)
        self.out = nn.Linear(3, 2, bias=False)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        return self.out(self.down(x))
        # END SOLUTION
