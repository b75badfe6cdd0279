"""Weight-sharing supernets: every candidate operation on every edge, mixed by softmax(alpha).

DARTS (Liu et al., ICLR 2019, section 2.2, eq. 2) relaxes the choice of one operation per edge into a mixture

    m_{i<-j}(x) = sum_o p_o * o(x),    p = softmax(alpha_{i<-j})    (one row of alpha per edge)

so the architecture alpha gets a gradient like any weight. This module builds that relaxation for
both search spaces of the course: the DARTS search network (Liu et al., ICLR 2019, section 3.1.1 and
appendix A.1.1; their code's ``model_search.py``) and the NAS-Bench-201 one (Dong & Yang, ICLR 2020, section 2.1):

* :class:`MixedOp`: the mixture on one edge.
* :class:`SearchCell`: the DARTS cell, 2 inputs, ``steps`` intermediate nodes, every earlier node
  feeding every later one (14 edges for 4 nodes); :class:`NB201SearchCell`: 4 nodes, 6 edges.
* :class:`DartsSupernet` (8 cells, C=16) and :class:`NB201Supernet` (3 x 5 cells, C=16);
  :func:`build_supernet` makes the one a search configuration describes.

Every supernet exposes the same small interface: ``arch_parameters()`` (alpha), ``weight_parameters()``
(w), ``arch_weights()`` (softmax(alpha)), ``forward(x, weights=None)`` and ``genotype(weights=None)``.
Passing ``weights`` replaces softmax(alpha) for one forward: selection (DARTS-PT) passes projected
weights with zeros and one-hots, flatness passes perturbed ones, GDAS passes straight-through
one-hots. An operation whose weight is exactly 0 is not run at all (as in the code of DARTS-PT, Wang
et al., ICLR 2021), but its weight is still added as a 0-valued scalar when it requires grad, so
that the straight-through gradient path of GDAS (Dong & Yang, CVPR 2019) stays open.

Note: alpha is registered as ``nn.Parameter`` so that ``state_dict()`` saves it; ``parameters()``
therefore returns w *and* alpha. Give each optimiser its own list: ``weight_parameters()`` for SGD on
w, ``arch_parameters()`` for Adam on alpha. Used from lesson 02 (the supernet) on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .controller import EnasController
from .genotypes import Genotype, derive_cell
from .nb201 import NB201_EDGES, nb201_derive, nb201_format
from .ops import DARTS_OPS, NB201_OPS, POOL_OPS, FactorizedReduce, ReLUConvBN, ResNetBasicBlock, check_ops, make_op


class MixedOp(nn.Module):
    """All candidate operations on one edge: x -> sum_o w_o * o(x).

    Args:
        C: channels in and out. stride: 1, or 2 on a reduction cell's input edges.
        ops: operation names, the column order of alpha. affine: BN scale/shift (False in search).
        pool_bn: follow each pooling op by BN(affine=False), as DARTS does; NAS-Bench-201 does not.

    Oracle for grading: ``check_mixed_op`` compares answers with it.
    """

    def __init__(self, C: int, stride: int, ops: list[str], affine: bool = False, pool_bn: bool = True):
        super().__init__()
        self.C, self.stride, self.op_names = C, stride, check_ops(ops)
        self.ops = nn.ModuleList()
        for name in self.op_names:
            op = make_op(name, C, stride, affine)
            if pool_bn and name in POOL_OPS:  # as DARTS's model_search: normalise pooling like the convs
                op = nn.Sequential(op, nn.BatchNorm2d(C, affine=False))
            self.ops.append(op)

    def forward(self, x: Tensor, weights: Tensor, active: list[int] | None = None) -> Tensor:
        """(B, C, H, W), weights ``(|O|,)`` -> (B, C, ceil(H/s), ceil(W/s)).

        ``active`` lists the ops to run (those with a non-zero weight). If None it is read from
        ``weights``, which costs one device-to-host copy: a supernet computes it once for all edges.
        """
        if weights.shape != (len(self.ops),):
            raise ValueError(f"edge weights have shape {tuple(weights.shape)}, expected ({len(self.ops)},) "
                             f"for operations {self.op_names}")
        if active is None:
            active = (weights.detach() != 0).nonzero().flatten().tolist()  # the one sync
        out = None
        for o in active:
            term = weights[o] * self.ops[o](x)  # scalar * (B, C, H', W')
            out = term if out is None else out + term
        if out is None:  # every weight is 0 (a removed edge): zeros of the output shape
            B, _, H, W = x.shape
            s = self.stride
            out = x.new_zeros(B, self.C, -(-H // s), -(-W // s))
        skipped = [o for o in range(len(self.ops)) if o not in active]
        if skipped and weights.requires_grad:
            # GDAS's straight-through trick: a skipped op contributes its (0-valued) weight, so
            # d loss / d w_o = sum of the output gradient instead of nothing (GDAS, Dong & Yang 2019)
            out = out + weights[skipped].sum()
        return out


class SearchCell(nn.Module):
    """DARTS search cell: inputs c_{k-2}, c_{k-1}; node i = sum_{j<i} MixedOp_{i<-j}(node j).

    Edges are numbered node by node (node 2 <- 0, 1; node 3 <- 0, 1, 2; ...), 2+3+4+5 = 14 for
    steps=4. Output: the last ``multiplier`` nodes concatenated, (B, multiplier*C, H', W').
    """

    def __init__(self, steps: int, multiplier: int, C_pp: int, C_p: int, C: int, reduction: bool,
                 reduction_prev: bool, ops: list[str], affine: bool = False):
        super().__init__()
        self.steps, self.multiplier, self.reduction = steps, multiplier, reduction
        # bring both inputs to C channels and the same resolution
        if reduction_prev:  # c_{k-2} is twice as large as c_{k-1}: (B, C_pp, 2H, 2W) -> (B, C, H, W)
            self.preprocess0 = FactorizedReduce(C_pp, C, affine)
        else:
            self.preprocess0 = ReLUConvBN(C_pp, C, 1, 1, 0, affine)
        self.preprocess1 = ReLUConvBN(C_p, C, 1, 1, 0, affine)
        self.edges = nn.ModuleList()
        for i in range(steps):
            for j in range(2 + i):  # every earlier node j feeds node i+2
                stride = 2 if reduction and j < 2 else 1
                self.edges.append(MixedOp(C, stride, ops, affine, pool_bn=True))

    def forward(self, s0: Tensor, s1: Tensor, weights: Tensor, active: list[list[int]]) -> Tensor:
        """weights ``(14, |O|)``, active[e] = ops to run on edge e -> (B, multiplier*C, H', W')."""
        states = [self.preprocess0(s0), self.preprocess1(s1)]  # 2 x (B, C, H, W)
        e = 0
        for _ in range(self.steps):
            node = 0
            for h in states:  # sum over all earlier nodes
                node = node + self.edges[e](h, weights[e], active[e])
                e += 1
            states.append(node)
        return torch.cat(states[-self.multiplier:], dim=1)


class NB201SearchCell(nn.Module):
    """NAS-Bench-201 search cell: node i = sum_{j<i} MixedOp_{i<-j}(node j), output node 3."""

    def __init__(self, C: int, ops: list[str]):
        super().__init__()
        # AvgPool without BN here (pool_bn=False), as in NAS-Bench-201's search space
        self.edges = nn.ModuleList([MixedOp(C, 1, ops, affine=False, pool_bn=False) for _ in NB201_EDGES])

    def forward(self, x: Tensor, weights: Tensor, active: list[list[int]]) -> Tensor:
        """(B, C, H, W), weights ``(6, |O|)`` -> (B, C, H, W)."""
        nodes = [x]
        for e, (i, j) in enumerate(NB201_EDGES):
            if j == 0:
                nodes.append(0)  # edges come node by node, starting with input 0
            nodes[i] = nodes[i] + self.edges[e](nodes[j], weights[e], active[e])
        return nodes[3]


class _Supernet(nn.Module):
    """What both supernets share: alpha bookkeeping, argument checks, active-op masks."""

    def arch_parameters(self) -> list[Tensor]:
        """The architecture parameters alpha, one ``(num_edges, |O|)`` tensor per cell type."""
        return [getattr(self, name) for name in self._alpha_names]

    def weight_parameters(self) -> list[Tensor]:
        """The network weights w: every parameter except alpha (and an ENAS controller's)."""
        other = {id(a) for a in self.arch_parameters()}
        if getattr(self, "controller", None) is not None:
            other |= {id(p) for p in self.controller.parameters()}
        return [p for p in self.parameters() if id(p) not in other]

    def arch_weights(self) -> list[Tensor]:
        """softmax(alpha) row-wise: the mixing weights p, one ``(num_edges, |O|)`` tensor per alpha."""
        return [F.softmax(a, dim=-1) for a in self.arch_parameters()]

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"{type(self).__name__} expects images shaped (B, 3, H, W), got {tuple(x.shape)}: "
                             "pass a batch of RGB images (add a batch dimension with x[None] for one image)")

    def _check_weights(self, weights: list[Tensor]) -> list[Tensor]:
        expected = [tuple(a.shape) for a in self.arch_parameters()]
        got = [tuple(w.shape) for w in weights] if isinstance(weights, (list, tuple)) else None
        if got is None or len(got) != len(expected) or any(g != e for g, e in zip(got, expected)):
            raise ValueError(f"weights must be a list of tensors shaped {expected} (one per alpha in "
                             f"{self._alpha_names}, columns {self.ops}), got {got if got is not None else type(weights)}")
        return list(weights)

    def _active(self, weights: list[Tensor] | None) -> list[list[list[int]]]:
        """For each weight tensor and edge, the indices of the ops with a non-zero weight.

        softmax(alpha) is positive, so the default forward runs everything without a device sync;
        caller-passed weights are compared with 0 in one device-to-host copy for all edges.
        """
        if weights is None:
            every = list(range(len(self.ops)))
            return [[every] * a.shape[0] for a in self.arch_parameters()]
        nonzero = torch.cat([w.detach().reshape(-1) != 0 for w in weights]).cpu().tolist()  # the one sync
        active, start = [], 0
        for w in weights:
            rows = []
            for _ in range(w.shape[0]):
                rows.append([o for o in range(w.shape[1]) if nonzero[start + o]])
                start += w.shape[1]
            active.append(rows)
        return active


class DartsSupernet(_Supernet):
    """The DARTS search network (Liu et al., ICLR 2019, appendix A.1.1): stem, ``layers`` cells, pool, linear.

    Reduction cells sit at layers//3 and 2*layers//3, where C doubles; all normal cells share
    ``alpha_normal`` ``(14, |O|)`` and all reduction cells ``alpha_reduce`` ``(14, |O|)``. forward returns
    logits (B, num_classes).
    """

    space = "darts"

    def __init__(self, C: int = 16, num_classes: int = 10, layers: int = 8, ops: list[str] = DARTS_OPS,
                 steps: int = 4, multiplier: int = 4, stem_multiplier: int = 3):
        super().__init__()
        for name, value in (("C", C), ("num_classes", num_classes), ("layers", layers), ("steps", steps)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not 1 <= multiplier <= steps:
            raise ValueError(f"multiplier={multiplier} must lie in 1..steps={steps}: it is how many of the last "
                             "intermediate nodes the cell output concatenates")
        self.ops, self.steps, self.multiplier = check_ops(ops), steps, multiplier
        self.layers, self.C, self.num_classes = layers, C, num_classes
        C_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(3, C_curr, 3, padding=1, bias=False), nn.BatchNorm2d(C_curr))
        C_pp, C_p, C_curr = C_curr, C_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                C_curr *= 2  # halve H, W and double C
            self.cells.append(SearchCell(steps, multiplier, C_pp, C_p, C_curr, reduction, reduction_prev, self.ops))
            reduction_prev = reduction
            C_pp, C_p = C_p, multiplier * C_curr
        self.classifier = nn.Linear(C_p, num_classes)
        num_edges = sum(2 + i for i in range(steps))  # 14 for 4 nodes
        self._alpha_names = ("alpha_normal", "alpha_reduce")
        self.alpha_normal = nn.Parameter(1e-3 * torch.randn(num_edges, len(self.ops)))
        self.alpha_reduce = nn.Parameter(1e-3 * torch.randn(num_edges, len(self.ops)))

    def forward(self, x: Tensor, weights: list[Tensor] | None = None) -> Tensor:
        """(B, 3, H, W) -> logits (B, num_classes); ``weights`` = [w_normal, w_reduce] replaces softmax(alpha)."""
        self._check_input(x)
        w_normal, w_reduce = self.arch_weights() if weights is None else self._check_weights(weights)
        active_normal, active_reduce = self._active(weights)
        s0 = s1 = self.stem(x)  # (B, 3C, H, W)
        for cell in self.cells:
            w, active = (w_reduce, active_reduce) if cell.reduction else (w_normal, active_normal)
            s0, s1 = s1, cell(s0, s1, w, active)
        out = F.adaptive_avg_pool2d(s1, 1).flatten(1)  # (B, multiplier*C_last)
        return self.classifier(out)

    def genotype(self, weights: list[Tensor] | None = None) -> Genotype:
        """DARTS's rule (Liu et al., ICLR 2019, section 2.4) on softmax(alpha), or on ``weights`` if given."""
        w_normal, w_reduce = self.arch_weights() if weights is None else self._check_weights(weights)
        concat = list(range(2 + self.steps - self.multiplier, self.steps + 2))
        return Genotype(normal=derive_cell(w_normal, self.ops, self.steps), normal_concat=concat,
                        reduce=derive_cell(w_reduce, self.ops, self.steps), reduce_concat=concat)


class NB201Supernet(_Supernet):
    """The NAS-Bench-201 search network (Dong & Yang, ICLR 2020, section 2.1): N cells, res-block, N cells,
    res-block, N cells.

    Channels C, 2C, 4C; all cells share one ``alpha`` ``(6, |O|)``; the two ResNet blocks are fixed
    (affine BN, as in AutoDL's search model). forward returns logits (B, num_classes).
    """

    space = "nb201"

    def __init__(self, C: int = 16, N: int = 5, num_classes: int = 10, ops: list[str] = NB201_OPS):
        super().__init__()
        for name, value in (("C", C), ("N", N), ("num_classes", num_classes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.ops, self.C, self.N, self.num_classes = check_ops(ops), C, N, num_classes
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        self.cells = nn.ModuleList()
        for stage, width in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:  # (B, width/2, H, W) -> (B, width, H/2, W/2)
                self.cells.append(ResNetBasicBlock(width // 2, width, affine=True))
            for _ in range(N):
                self.cells.append(NB201SearchCell(width, self.ops))
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU())
        self.classifier = nn.Linear(4 * C, num_classes)
        self._alpha_names = ("alpha",)
        self.alpha = nn.Parameter(1e-3 * torch.randn(len(NB201_EDGES), len(self.ops)))

    def forward(self, x: Tensor, weights: list[Tensor] | None = None) -> Tensor:
        """(B, 3, H, W) -> logits (B, num_classes); ``weights`` = [w] ``(6, |O|)`` replaces softmax(alpha)."""
        self._check_input(x)
        (w,) = self.arch_weights() if weights is None else self._check_weights(weights)
        (active,) = self._active(weights)
        h = self.stem(x)  # (B, C, H, W)
        for cell in self.cells:
            h = cell(h, w, active) if isinstance(cell, NB201SearchCell) else cell(h)
        out = F.adaptive_avg_pool2d(self.lastact(h), 1).flatten(1)  # (B, 4C)
        return self.classifier(out)

    def genotype(self, weights: list[Tensor] | None = None) -> str:
        """The NAS-Bench-201 string of argmax over ALL ops per edge, ``none`` included (see ``nb201_derive``)."""
        (w,) = self.arch_weights() if weights is None else self._check_weights(weights)
        return nb201_format(nb201_derive(w, self.ops), self.ops)  # (6, |O|) -> 6 op names -> string



def build_supernet(config) -> nn.Module:
    """The supernet a search configuration describes (``history.make_config``): ``config.space``
    ("darts" or "nb201") at the config's size (C and layers, or C and N), 10 classes (CIFAR-10).

    An ENAS search's supernet carries its controller as ``supernet.controller`` (an
    ``EnasController``), so that one state_dict holds everything the search learns."""
    if config.space == "darts":
        supernet = DartsSupernet(C=config.C, layers=config.layers)
        if getattr(config, "method", None) == "enas":
            supernet.controller = EnasController(supernet.ops, supernet.steps, config.lstm_size,
                                                 config.tanh_constant, config.op_tanh_reduce)
        return supernet
    if config.space == "nb201":
        return NB201Supernet(C=config.C, N=config.N)
    raise ValueError(f"unknown search space {config.space!r}: expected 'darts' or 'nb201'")
