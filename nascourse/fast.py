"""A fast forward for the DARTS supernet: the same mathematics in far fewer, larger kernels.

The plain :class:`~nascourse.supernet.DartsSupernet` runs every operation of every edge on its
own, as the original DARTS code does: 8 cells x 14 edges x 8 operations. At DARTS's search
setting that code launches about 18,900 small GPU kernels for one forward and backward and is
bound by launching them, not by arithmetic. :class:`FastDartsForward` computes the same function
from the same parameters after rearrangements that are each exact (the same products and sums,
only grouped differently):

1. **Shared work is done once per node.** The edges leaving node j all read h_j. Every sep_conv
   and dil_conv starts with ReLU(h_j): computed once, not 4 x (edges leaving j) times. Pooling has
   no weights, and BN(affine=False) in training mode normalises with the batch's own statistics,
   so pool -> BN gives the same tensor on every edge leaving j: computed once, while each edge's
   BN still updates its own running statistics.
2. **One operation on all the edges leaving a node is one grouped convolution.** For E edges the
   E depthwise convs are one depthwise conv over E*C channels, the E pointwise convs one conv with
   groups=E, the E BNs one BN over E*C channels (BN is per channel); a stride-2 skip_connect's
   FactorizedReduce convs all read the same input, so they are one conv with E*C/2 outputs. The
   mixtures sum_o p[e, o] o(h_j) of all E edges are one multiply-and-sum over stacked outputs.
3. **``none`` is dropped.** Its output is 0 * h_j, exactly 0 for finite h_j, and so is
   d loss / d p_none; softmax still passes alpha_none its gradient through the other weights.
4. **On the CPU, kernels are chosen by size** (measured at the tiny preset, batch 64): the
   pointwise convs of E edges run as one broadcast matrix product, and depthwise 5x5 or dilated
   convs on images of at most 64 pixels as one (H'W' x HW) matrix per channel whose entries are
   the kernel's weights and zeros; larger 5x5 depthwise convs read channels-last input.
5. **Optionally, a dilated depthwise conv runs as a plain one on pixel phases**
   (``space_to_batch=True``): with dilation 2, output pixel (2a+p, 2b+q) only reads input pixels
   of the same parity (p, q), so the conv is a conv without dilation on each of the four phase
   images; at stride 2 only the even phase is read. Off by default: it made no measurable
   difference to a CPU step at the tiny preset, and it is unmeasured on a GPU.

The parameters stay the supernet's own (each forward concatenates the small weight tensors, so an
optimiser, a checkpoint or a hypergradient sees nothing new), and so do the BN running statistics
(updated in place, as the plain forward updates them). Only the training-mode forward with
p = softmax(alpha) is rearranged; in eval mode each edge's BN uses its own running statistics, so
the call falls back to the plain forward. ``tests/test_fast.py`` checks logits, gradients, Hessian-
vector products, BN statistics and whole search steps against the plain supernet (in float64 they
agree to ~1e-15; ``stepcheck.py`` runs and compares the steps), and ``benchmarks/search_step.py``
measures what it buys.
``search(..., fast=True)`` and ``nascourse search --fast`` use it; lesson 02 compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .ops import DilConv, FactorizedReduce, Identity, SepConv, Zero
from .supernet import DartsSupernet, SearchCell


@dataclass
class _Group:
    """One operation (column ``col`` of alpha) on every edge leaving a node."""

    kind: str  # "pool", "identity", "reduce" (FactorizedReduce), "sep", "dil" or "other"
    col: int
    modules: list[nn.Module]  # one per edge, in the order of _Source.edges


@dataclass
class _Source:
    """Node j of a cell and the edges leaving it: edge ``edges[k]`` feeds node ``targets[k]``."""

    node: int
    stride: int  # 2 on a reduction cell's input nodes 0 and 1
    edges: list[int]
    targets: list[int]
    groups: list[_Group]


class _RunningStats:
    """BN running-statistic updates gathered during one forward and written at its end.

    Gathering them lets a few multi-tensor kernels write hundreds of small buffers. Every BN module
    appears at most once per forward, so writing at the end equals writing as the plain forward does.
    """

    def __init__(self, momentum: float):
        self.momentum = momentum  # every BN of the supernet has this one (checked by FastDartsForward)
        self.targets: list[Tensor] = []  # running_mean / running_var buffers given new values
        self.values: list[Tensor] = []  # their new values
        self.blended: list[Tensor] = []  # buffers r to update as r <- (1 - m) r + m stat
        self.batch_stats: list[Tensor] = []  # their stat: the batch mean, or the unbiased batch variance
        self.counters: list[Tensor] = []  # num_batches_tracked

    def packed(self, bns: list[nn.BatchNorm2d], mean: Tensor, var: Tensor) -> None:
        """New statistics computed by F.batch_norm on buffers concatenated over ``bns``."""
        for bn, m, v in zip(bns, mean.chunk(len(bns)), var.chunk(len(bns))):
            self.targets += [bn.running_mean, bn.running_var]
            self.values += [m, v]
            self.counters.append(bn.num_batches_tracked)

    def shared(self, bns: list[nn.BatchNorm2d], x: Tensor) -> None:
        """Every BN of ``bns`` normalised the same input ``x`` (B, C, H, W)."""
        with torch.no_grad():
            var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=1)  # BN's running var is unbiased
        for bn in bns:
            self.blended += [bn.running_mean, bn.running_var]
            self.batch_stats += [mean, var]
            self.counters.append(bn.num_batches_tracked)

    def write(self) -> None:
        with torch.no_grad():
            if self.targets:
                torch._foreach_copy_(self.targets, self.values)
            if self.blended:
                torch._foreach_mul_(self.blended, 1 - self.momentum)
                torch._foreach_add_(self.blended, self.batch_stats, alpha=self.momentum)
            if self.counters:
                torch._foreach_add_(self.counters, 1)


def _cat(tensors: list[Tensor]) -> Tensor:
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors)


def _batch_norm(x: Tensor, bns: list[nn.BatchNorm2d], stats: _RunningStats) -> Tensor:
    """E BNs of C channels each, as one BN over x (B, E*C, H, W) in training mode."""
    bn = bns[0]
    mean, var = _cat([b.running_mean for b in bns]), _cat([b.running_var for b in bns])
    weight = _cat([b.weight for b in bns]) if bn.affine else None
    bias = _cat([b.bias for b in bns]) if bn.affine else None
    out = F.batch_norm(x, mean, var, weight, bias, training=True, momentum=bn.momentum, eps=bn.eps)
    if len(bns) == 1:  # _cat returned the buffers themselves, and F.batch_norm updated them in place
        stats.counters.append(bn.num_batches_tracked)
    else:
        stats.packed(bns, mean, var)
    return out


_TAPS: dict[tuple, Tensor] = {}


def _taps(H: int, W: int, k: int, s: int, p: int, d: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """S (k*k, H'W', HW): S[t, o, i] = 1 where output pixel o reads input pixel i through tap t."""
    key = (H, W, k, s, p, d, dtype, device)
    if key not in _TAPS:
        images = torch.eye(H * W, dtype=dtype).view(H * W, 1, H, W)  # one image per input pixel
        kernels = torch.eye(k * k, dtype=dtype).view(k * k, 1, k, k)  # one kernel per tap
        hits = F.conv2d(images, kernels, None, s, p, d)  # (HW, k*k, H', W'): exact 0s and 1s
        _TAPS[key] = hits.flatten(2).permute(1, 2, 0).contiguous().to(device)
    return _TAPS[key]


def _depthwise_as_matmul(x: Tensor, weight: Tensor, s: int, p: int, d: int) -> Tensor:
    """A depthwise conv on a small image as one matrix per channel: (B, N, H, W) -> (B, N, H', W').

    Channel n's conv is the linear map T_n = sum_t w[n, t] S_t from the H*W input pixels to the
    H'*W' output pixels. Each entry of T_n is one kernel weight or 0, so T_n x adds the conv's own
    products (and exact zeros).
    """
    B, N, H, W = x.shape
    k = weight.shape[-1]
    T = torch.einsum("nt,toi->noi", weight.reshape(N, k * k), _taps(H, W, k, s, p, d, x.dtype, x.device))
    out = torch.einsum("noi,bni->bno", T, x.reshape(B, N, H * W))  # (B, N, H'W')
    return out.view(B, N, (H + 2 * p - d * (k - 1) - 1) // s + 1, -1)


def _depthwise(x: Tensor, weight: Tensor, s: int, p: int, d: int, space_to_batch: bool) -> Tensor:
    """Depthwise conv (stride s, padding p, dilation d) of x (B, N, H, W) with weight (N, 1, k, k).

    With ``space_to_batch`` a dilation-d conv with "same" padding d(k-1)/2 runs as a dilation-1
    conv on the d*d phase images (rearrangement 5 of the module docstring). On the CPU the kernel
    is chosen by size, as measured at the tiny preset (B=64): images of at most 64 pixels as one
    matrix per channel (5x5 and dilated convs: 3-8 times faster than oneDNN's, backward included);
    larger 5x5 convs on channels-last input (2-3 times faster backward).
    """
    B, N, H, W = x.shape
    k = weight.shape[-1]
    if space_to_batch and d > 1 and k % 2 == 1 and p == d * (k - 1) // 2:
        if s == d:  # output pixel a reads input pixels d*(a + t - (k-1)/2): phase (0, 0) only
            return _depthwise(x[:, :, ::d, ::d], weight, 1, (k - 1) // 2, 1, False)
        if s == 1 and H % d == 0 and W % d == 0:  # (B, N, H, W) -> (d*d*B, N, H/d, W/d), one image per phase
            phases = x.view(B, N, H // d, d, W // d, d).permute(3, 5, 0, 1, 2, 4).reshape(d * d * B, N, H // d, W // d)
            y = _depthwise(phases, weight, 1, (k - 1) // 2, 1, False)
            return y.view(d, d, B, N, H // d, W // d).permute(2, 3, 4, 0, 5, 1).reshape(B, N, H, W)
    if x.device.type == "cpu" and (k >= 5 or d > 1) and H * W <= 64:
        return _depthwise_as_matmul(x, weight, s, p, d)
    if x.device.type == "cpu" and d == 1 and k >= 5:
        x = x.contiguous(memory_format=torch.channels_last)
    return F.conv2d(x, weight, None, s, p, d, N)


def _pointwise(x: Tensor, weight: Tensor, groups: int) -> Tensor:
    """The 1x1 convs of ``groups`` edges at once: x (B, E*C_in, H, W), weight (E*C_out, C_in, 1, 1).

    On the CPU as one broadcast matrix product (E, C_out, C_in) @ (B, E, C_in, H*W), which runs
    2-4 times faster there than the grouped convolution (measured at the tiny preset's sizes).
    """
    if x.device.type != "cpu":
        return F.conv2d(x, weight, groups=groups)
    B, N, H, W = x.shape
    E, C_in = groups, N // groups
    C_out = weight.shape[0] // E
    out = torch.matmul(weight.view(E, C_out, C_in), x.reshape(B, E, C_in, H * W))  # (B, E, C_out, H*W)
    return out.view(B, E * C_out, H, W)


def _unit(x: Tensor, units: list[DilConv], stats: _RunningStats, space_to_batch: bool) -> Tensor:
    """ReLU'd x (B, E*C_in, H, W) through E DilConv units (depthwise -> pointwise -> BN), one per edge.

    Returns (B, E*C_out, H', W'); channels e*C:(e+1)*C belong to edge e.
    """
    depthwise, pointwise = units[0].op[1], units[0].op[2]
    if depthwise.bias is not None or pointwise.bias is not None:
        raise ValueError("the fast forward expects bias-free convolutions, as DARTS builds them")
    (s, s2), (p, p2), (d, d2) = depthwise.stride, depthwise.padding, depthwise.dilation
    if (s, p, d) != (s2, p2, d2) or depthwise.kernel_size[0] != depthwise.kernel_size[1]:
        raise ValueError(f"the fast forward expects square depthwise convolutions, got {depthwise}")
    y = _depthwise(x, _cat([u.op[1].weight for u in units]), s, p, d, space_to_batch)
    y = _pointwise(y, _cat([u.op[2].weight for u in units]), len(units))
    return _batch_norm(y, [u.op[3] for u in units], stats)


class FastDartsForward:
    """``FastDartsForward(supernet)(x)`` equals ``supernet(x)`` in training mode, with fewer kernels.

    Args:
        supernet: a :class:`~nascourse.supernet.DartsSupernet` (any C, layers, steps and op list;
            operations other than pools, skip_connect, sep_conv_* and dil_conv_* run edge by edge).
        space_to_batch: run dilated depthwise convs on pixel phases (rearrangement 5 of the module
            docstring).

    Calling it returns logits (B, num_classes) from x (B, 3, H, W). It holds no parameters: move,
    train or load the supernet as usual and keep calling the same object.
    """

    def __init__(self, supernet: DartsSupernet, space_to_batch: bool = False):
        if not isinstance(supernet, DartsSupernet):
            raise TypeError(f"FastDartsForward takes a DartsSupernet, got {type(supernet).__name__}: the fast "
                            "path covers the DARTS space; use the supernet itself for NAS-Bench-201")
        self.supernet, self.space_to_batch = supernet, space_to_batch
        momenta = {bn.momentum if bn.track_running_stats else None
                   for bn in supernet.modules() if isinstance(bn, nn.BatchNorm2d)}
        if len(momenta) != 1 or None in momenta:
            raise ValueError(f"the fast forward expects every BatchNorm to keep running statistics with one fixed "
                             f"momentum (PyTorch's default 0.1, as DARTS uses), found momenta {momenta}")
        self._momentum = momenta.pop()
        self._plans = [self._plan(cell) for cell in supernet.cells]
        self._indices: dict[tuple, Tensor] = {}

    @staticmethod
    def _plan(cell: SearchCell) -> list[_Source]:
        """Which edges leave each node, and each operation's modules on them, grouped by kind."""
        steps, sources = cell.steps, []
        first = {i: (i - 1) * i // 2 - 1 for i in range(2, steps + 2)}  # edge index of (i <- 0)
        for j in range(steps + 1):  # the last node feeds no edge
            targets = [i for i in range(max(2, j + 1), steps + 2)]
            edges = [first[i] + j for i in targets]
            groups = []
            for col in range(len(cell.edges[0].ops)):
                modules = [cell.edges[e].ops[col] for e in edges]
                m = modules[0]
                if isinstance(m, Zero):
                    continue  # contributes exactly 0 (rearrangement 3)
                if isinstance(m, nn.Sequential) and len(m) == 2 and isinstance(m[0], (nn.MaxPool2d, nn.AvgPool2d)):
                    kind = "pool"
                elif isinstance(m, Identity):
                    kind = "identity"
                elif isinstance(m, FactorizedReduce):
                    kind = "reduce"
                elif isinstance(m, SepConv):
                    kind = "sep"
                elif isinstance(m, DilConv):
                    kind = "dil"
                else:
                    kind = "other"
                groups.append(_Group(kind, col, modules))
            sources.append(_Source(j, 2 if cell.reduction and j < 2 else 1, edges, targets, groups))
        return sources

    def _index(self, indices: tuple[int, ...], device: torch.device) -> Tensor:
        key = (indices, device)
        if key not in self._indices:  # made once per device: no host-to-device copy per forward
            self._indices[key] = torch.tensor(indices, device=device)
        return self._indices[key]

    def __call__(self, x: Tensor) -> Tensor:
        net = self.supernet
        if not net.training:  # each edge's BN would normalise with its own running statistics
            return net(x)
        net._check_input(x)
        space_to_batch = self.space_to_batch
        w_normal, w_reduce = net.arch_weights()  # softmax(alpha), (14, |O|) each
        stats = _RunningStats(self._momentum)
        s0 = s1 = net.stem(x)  # (B, 3C, H, W)
        for cell, plan in zip(net.cells, self._plans):
            w = w_reduce if cell.reduction else w_normal
            s0, s1 = s1, self._cell(cell, plan, s0, s1, w, stats, space_to_batch)
        stats.write()
        out = F.adaptive_avg_pool2d(s1, 1).flatten(1)  # (B, multiplier*C_last)
        return net.classifier(out)

    def _cell(self, cell: SearchCell, plan: list[_Source], s0: Tensor, s1: Tensor, w: Tensor,
              stats: _RunningStats, space_to_batch: bool) -> Tensor:
        """As SearchCell.forward, one node at a time: node j sends its E edges' outputs forward."""
        states = [cell.preprocess0(s0), cell.preprocess1(s1)]  # 2 x (B, C, H, W)
        pending: dict[int, Tensor] = {}  # node i -> sum of the edges into it computed so far
        for source in plan:
            if source.node >= 2:
                states.append(pending.pop(source.node))  # every edge into it is in
            w_edges = w.index_select(0, self._index(tuple(source.edges), w.device))  # (E, |O|)
            y = self._edges(states[source.node], source, w_edges, stats, space_to_batch)  # (B, E, C, H', W')
            for i, y_i in zip(source.targets, y.unbind(1)):  # unbind: one backward op for all E slices
                pending[i] = y_i if i not in pending else pending[i] + y_i
        states.append(pending.pop(cell.steps + 1))
        return torch.cat(states[-cell.multiplier:], dim=1)

    def _edges(self, h: Tensor, source: _Source, w: Tensor, stats: _RunningStats, space_to_batch: bool) -> Tensor:
        """Sum_o w[e, o] * o(h) for every edge e leaving the node: h (B, C, H, W), w ``(E, |O|)`` -> (B, E, C, H', W')."""
        B, C = h.shape[:2]
        E = len(source.edges)
        relu = relu_rep = None  # ReLU(h), and it repeated once per edge (B, E*C, H, W): shared by every conv
        per_edge, shared = [], []  # (column of alpha, output (B, E, C, H', W') or (B, C, H', W') for all edges)
        for group in source.groups:
            mods = group.modules
            if group.kind in ("reduce", "sep", "dil") and relu is None:
                relu = F.relu(h)
            if group.kind in ("sep", "dil") and relu_rep is None:
                relu_rep = relu.repeat(1, E, 1, 1) if E > 1 else relu
            if group.kind == "pool":  # one pool, one batch normalisation: (B, 1, C, H', W')
                pooled = mods[0][0](h)
                bn = mods[0][1]
                shared.append((group.col, F.batch_norm(pooled, None, None, training=True, eps=bn.eps)))
                stats.shared([m[1] for m in mods], pooled)
                continue
            elif group.kind == "identity":
                shared.append((group.col, h))
                continue
            elif group.kind == "reduce":  # FactorizedReduce: both 1x1 stride-2 convs of all E edges at once
                shifted = F.pad(relu, (0, 1, 0, 1))[:, :, 1:, 1:]
                a = F.conv2d(relu, _cat([m.conv_1.weight for m in mods]), stride=2)  # (B, E*C/2, H', W')
                b = F.conv2d(shifted, _cat([m.conv_2.weight for m in mods]), stride=2)
                ab = torch.stack([a.unflatten(1, (E, C // 2)), b.unflatten(1, (E, C // 2))], 2)  # (B, E, 2, C/2, ...)
                out = _batch_norm(ab.flatten(1, 3), [m.bn for m in mods], stats).unflatten(1, (E, C))
            elif group.kind == "sep":  # two DilConv units; only the first has the stride
                first = _unit(relu_rep, [m.op[0] for m in mods], stats, space_to_batch)
                out = _unit(F.relu(first), [m.op[1] for m in mods], stats, space_to_batch).unflatten(1, (E, C))
            elif group.kind == "dil":
                out = _unit(relu_rep, mods, stats, space_to_batch).unflatten(1, (E, C))
            else:  # anything else, edge by edge
                out = torch.stack([m(h) for m in mods], 1)
            per_edge.append((group.col, out))
        # the mixture: one multiply-and-sum for the per-edge outputs, one for the shared ones
        y = None
        for outputs, dim in ((per_edge, 2), (shared, 1)):
            if not outputs:
                continue
            cols, outs = zip(*outputs)
            coef = w.index_select(1, self._index(cols, w.device))  # (E, K)
            stacked = torch.stack(outs, dim)  # (B, E, K, C, H', W'), or (B, K, C, H', W') when shared
            if dim == 1:
                stacked = stacked.unsqueeze(1)
            part = (stacked * coef.view(1, E, len(cols), 1, 1, 1)).sum(2)  # (B, E, C, H', W')
            y = part if y is None else y + part
        if y is None:  # only `none` on these edges
            s = source.stride
            return h.new_zeros(B, E, C, -(-h.shape[2] // s), -(-h.shape[3] // s))
        return y
