"""A check the students of the example course never see: kept out of their template."""

from __future__ import annotations

import pytest
import torch

from grader.kit import Remote, assert_tensor, exercise_fixture

tensors = exercise_fixture("tensors")


class TestHiddenSlicing:
    @pytest.mark.points(2)
    def test_column_of_a_wide_matrix(self, tensors: Remote) -> None:
        """column(A, j) on a wide integer matrix"""
        A = torch.arange(3 * 17).reshape(3, 17)
        assert_tensor(tensors.column(A, 13), A[:, 13].clone(), "column(A of shape (3, 17), 13)")
