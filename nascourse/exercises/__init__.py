"""Checkers for the lessons' coding exercises.

Each checker takes the student's answer (usually a function), runs it against the library's own
tested implementation on a handful of cases, and prints what is right and what is wrong in
words ("your mixed operation ignores the `none` weight"), rather than a bare assertion. A
checker never raises on a wrong or unfinished answer (an unfinished answer raising
``NotImplementedError`` is reported as such), so exercise cells run top to bottom; it returns
True when every case passes. The worked answers in ``solutions/`` call the same checkers.
One module per lesson; every checker is importable from here.
"""

from .lesson00_setup import check_param_counts
from .lesson01_cells import check_width_depth, check_narrowest_deepest, check_nb201_parse
from .lesson02_darts import check_mixed_op, check_arch_gradient
from .lesson03_hypergradients import check_neumann, check_mixed_fd, check_neumann_rate
from .lesson04_convergence import check_spearman, check_group_depth_rho
from .lesson05_landscapes import check_filter_normalise, check_gradient_variance
from .lesson06_selection import check_operation_strength, check_optimal_skip_weight
from .lesson07_flatness import check_neighbourhood_mean, check_relaxed_neighbour
from .lesson08_cost import check_kendall_tau, check_regret

__all__ = [
    "check_param_counts",  # lesson 00
    "check_width_depth", "check_narrowest_deepest", "check_nb201_parse",  # lesson 01
    "check_mixed_op", "check_arch_gradient",  # lesson 02
    "check_neumann", "check_mixed_fd", "check_neumann_rate",  # lesson 03
    "check_spearman", "check_group_depth_rho",  # lesson 04
    "check_filter_normalise", "check_gradient_variance",  # lesson 05
    "check_operation_strength", "check_optimal_skip_weight",  # lesson 06
    "check_neighbourhood_mean", "check_relaxed_neighbour",  # lesson 07
    "check_kendall_tau", "check_regret",  # lesson 08
]
