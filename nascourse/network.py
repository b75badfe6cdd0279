"""Discrete networks: the architecture a search returns, built to be trained from scratch.

A search ends with a genotype; the paper's number is the test error of a *larger* network built
from it and trained from scratch. This module builds the two evaluation networks of the course:

* :class:`DartsNetwork`: DARTS's evaluation network (Liu et al., ICLR 2019, section 3.2 and appendix
  A.2; quark0/darts ``cnn/model.py`` NetworkCIFAR, layer for layer). Each intermediate node reads two
  earlier nodes through one operation each, ``h_i = o_a(h_a) + o_b(h_b)``; the cell output
  concatenates the genotype's ``concat`` nodes. Affine BN, no BN after pooling, drop-path and an
  auxiliary head. 20 cells and C=36 give DARTS_V2's published 3.3M parameters (3,349,342, auxiliary
  head excluded, as DARTS counts). Cells with 5 nodes (NASNet, AmoebaNet) work too: Understanding-NAS
  (Shu et al., ICLR 2020) trains them to compare wide/shallow with narrow/deep cells.
* :class:`NB201Network`: a NAS-Bench-201 cell (a string or six op names) in the benchmark's
  skeleton (Dong & Yang, ICLR 2020, section 2.1). The all-skip cell has 73,306 parameters (the
  API's 0.073 MB).

* :class:`PlainCNN`: a plain stack of convolutions, the control of DARTS-PT's edge-shuffle test.

All forwards return a pair ``(logits, logits_aux)``, logits_aux being None except for a
DartsNetwork with ``auxiliary=True`` in training mode, so a trainer treats them alike. Both take
a genotype in either form: a Genotype or its string, six op names or an NB201 string. Used wherever
a lesson builds or trains a discrete network from a genotype.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .genotypes import Genotype, as_genotype, check_genotype
from .nb201 import NB201_EDGES, as_nb201, nb201_format
from .ops import OPS, FactorizedReduce, Identity, ReLUConvBN, ResNetBasicBlock, make_op


def drop_path(x: Tensor, drop_prob: float) -> Tensor:
    """Zero whole samples with probability p and scale the rest by 1/(1-p): (B, C, H, W) -> same.

    The expectation is unchanged: E[mask / keep] = 1 (DARTS's regulariser from FractalNet).
    """
    if not 0.0 <= drop_prob < 1.0:
        raise ValueError(f"drop_prob must lie in [0, 1), got {drop_prob!r} (DARTS ramps it from 0 to 0.2)")
    if drop_prob == 0.0:
        return x
    keep = 1.0 - drop_prob
    mask = torch.empty(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(keep)  # (B, 1, 1, 1)
    return x * mask / keep


class Cell(nn.Module):
    """A discrete DARTS-space cell: node i+2 = op(h_a) + op(h_b) for each genotype pair."""

    def __init__(self, cell: list[tuple[str, int]], concat: list[int], C_pp: int, C_p: int, C: int,
                 reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        self.steps = len(cell) // 2  # 4 for DARTS, 5 for NASNet and AmoebaNet
        self.concat = list(concat)
        self.multiplier = len(self.concat)
        if reduction_prev:  # (B, C_pp, 2H, 2W) -> (B, C, H, W)
            self.preprocess0 = FactorizedReduce(C_pp, C, affine=True)
        else:
            self.preprocess0 = ReLUConvBN(C_pp, C, 1, 1, 0, affine=True)
        self.preprocess1 = ReLUConvBN(C_p, C, 1, 1, 0, affine=True)
        self.indices = [j for _, j in cell]
        self.ops = nn.ModuleList()
        for name, j in cell:
            stride = 2 if reduction and j < 2 else 1
            self.ops.append(make_op(name, C, stride, affine=True))  # no BN after pooling here

    def forward(self, s0: Tensor, s1: Tensor, drop_prob: float) -> Tensor:
        """(B, C_pp, ., .), (B, C_p, H, W) -> (B, multiplier*C, H', W')."""
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(self.steps):
            node = 0
            for k in (2 * i, 2 * i + 1):  # the node's two inputs
                h = self.ops[k](states[self.indices[k]])
                if self.training and drop_prob > 0 and not isinstance(self.ops[k], Identity):
                    h = drop_path(h, drop_prob)
                node = node + h
            states.append(node)
        return torch.cat([states[i] for i in self.concat], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """DARTS's auxiliary classifier on the 8x8 map after the second reduction (loss weight 0.4).

    (B, C, 8, 8) -ReLU, AvgPool 5/3-> (B, C, 2, 2) -1x1-> 128 -2x2-> (B, 768, 1, 1) -> Linear.
    Other map sizes (e.g. 4x4 with 16x16 images) are average-pooled to 2x2 instead, so the head
    works at any size with the same parameters; at 8x8 it is exactly DARTS's head.
    """

    def __init__(self, C: int, num_classes: int):
        super().__init__()
        self.pool = nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False)
        self.features = nn.Sequential(
            nn.Conv2d(C, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """(B, C, H, W) feature map -> logits (B, num_classes)."""
        x = F.relu(x)
        x = self.pool(x) if x.shape[-2:] == (8, 8) else F.adaptive_avg_pool2d(x, 2)  # (B, C, 2, 2)
        return self.classifier(self.features(x).flatten(1))  # (B, 768) -> (B, num_classes)


class DartsNetwork(nn.Module):
    """DARTS's evaluation network NetworkCIFAR, built from a genotype.

    Args:
        genotype: the cells, a Genotype or its string form (``genotype_to_str``); 4-node (DARTS) or
            5-node (NASNet, AmoebaNet) cells.
        C: initial channels (36). layers: cells (20); reductions at layers//3 and 2*layers//3.
        auxiliary: add the auxiliary head after cell 2*layers//3. drop_path_prob: set per epoch.

    forward(x) -> (logits (B, num_classes), logits_aux (B, num_classes) or None): logits_aux is
    None in eval mode or without an auxiliary head.
    """

    def __init__(self, genotype: Genotype | str, C: int = 36, num_classes: int = 10, layers: int = 20,
                 auxiliary: bool = True, drop_path_prob: float = 0.0, stem_multiplier: int = 3):
        super().__init__()
        genotype = as_genotype(genotype)  # a string or a plain 4-tuple works too
        check_genotype(genotype, ops=list(OPS))  # raises ValueError naming the bad entry
        for name, value in (("C", C), ("num_classes", num_classes), ("layers", layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.genotype, self.layers, self.drop_path_prob = genotype, layers, drop_path_prob
        self.aux_index = 2 * layers // 3  # the second reduction cell
        C_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(3, C_curr, 3, padding=1, bias=False), nn.BatchNorm2d(C_curr))
        C_pp, C_p, C_curr = C_curr, C_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                C_curr *= 2  # halve H, W and double C
            cell, concat = (genotype.reduce, genotype.reduce_concat) if reduction else (genotype.normal,
                                                                                         genotype.normal_concat)
            self.cells.append(Cell(cell, concat, C_pp, C_p, C_curr, reduction, reduction_prev))
            reduction_prev = reduction
            C_pp, C_p = C_p, self.cells[-1].multiplier * C_curr
            if i == self.aux_index:
                C_aux = C_p
        self.auxiliary_head = AuxiliaryHeadCIFAR(C_aux, num_classes) if auxiliary else None
        self.classifier = nn.Linear(C_p, num_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """(B, 3, H, W) -> (logits, logits_aux), each (B, num_classes); logits_aux may be None."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"DartsNetwork expects images shaped (B, 3, H, W), got {tuple(x.shape)}")
        logits_aux = None
        s0 = s1 = self.stem(x)  # (B, 3C, H, W)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_index and self.auxiliary_head is not None and self.training:
                logits_aux = self.auxiliary_head(s1)
        logits = self.classifier(F.adaptive_avg_pool2d(s1, 1).flatten(1))  # (B, C_last) -> (B, classes)
        return logits, logits_aux


class NB201InferCell(nn.Module):
    """A discrete NAS-Bench-201 cell: node i = sum_{j<i} op_{i<-j}(node j); output node 3."""

    def __init__(self, edge_ops: list[str], C: int):
        super().__init__()
        self.edge_ops = edge_ops
        # `none` is the Zero op: it adds x*0, so a node whose inputs are all `none` is zeros
        self.edges = nn.ModuleList([make_op(name, C, 1, affine=True) for name in edge_ops])

    def forward(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, C, H, W)."""
        nodes = [x]
        for e, (i, j) in enumerate(NB201_EDGES):
            if j == 0:
                nodes.append(0)
            nodes[i] = nodes[i] + self.edges[e](nodes[j])
        return nodes[3]


class NB201Network(nn.Module):
    """NAS-Bench-201's network for one cell (Dong & Yang, ICLR 2020, section 2.1; AutoDL's TinyNetwork).

    stem -> N cells (C) -> ResNet block -> N cells (2C) -> ResNet block -> N cells (4C)
    -> BN -> ReLU -> global pool -> Linear. forward(x) -> (logits (B, num_classes), None).
    """

    def __init__(self, arch: str | list[str] | tuple, C: int = 16, N: int = 5, num_classes: int = 10):
        super().__init__()
        for name, value in (("C", C), ("N", N), ("num_classes", num_classes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.edge_ops = as_nb201(arch)  # a string is parsed, 6 names checked; ValueError naming the problem
        self.arch = nb201_format(self.edge_ops)
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        self.cells = nn.ModuleList()
        for stage, width in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:  # (B, width/2, H, W) -> (B, width, H/2, W/2)
                self.cells.append(ResNetBasicBlock(width // 2, width, affine=True))
            for _ in range(N):
                self.cells.append(NB201InferCell(self.edge_ops, width))
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * C), nn.ReLU())
        self.classifier = nn.Linear(4 * C, num_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, None]:
        """(B, 3, H, W) -> (logits (B, num_classes), None)."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"NB201Network expects images shaped (B, 3, H, W), got {tuple(x.shape)}")
        h = self.stem(x)
        for cell in self.cells:
            h = cell(h)
        return self.classifier(F.adaptive_avg_pool2d(self.lastact(h), 1).flatten(1)), None


class PlainCNN(nn.Module):
    """A plain stack of 3x3 convolutions (VGG-like: conv, BN, ReLU, no skip connections, one width).

    The control of DARTS-PT's edge-shuffle test (Wang et al., ICLR 2021, Table 1): a supernet
    keeps most of its accuracy when two edges of every cell swap places, a plain stack does not
    when two of its layers do. stem (3 -> C) -> ``layers`` blocks (C -> C) -> global pool -> Linear.
    forward(x) -> (logits, None), like the other networks.
    """

    def __init__(self, C: int = 16, layers: int = 8, num_classes: int = 10):
        super().__init__()
        for name, value in (("C", C), ("layers", layers), ("num_classes", num_classes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C), nn.ReLU())
        self.layers = nn.ModuleList([nn.Sequential(nn.Conv2d(C, C, 3, padding=1, bias=False), nn.BatchNorm2d(C),
                                                   nn.ReLU()) for _ in range(layers)])
        self.classifier = nn.Linear(C, num_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, None]:
        """(B, 3, H, W) -> (logits (B, num_classes), None)."""
        h = self.stem(x)  # (B, C, H, W)
        for layer in self.layers:
            h = layer(h)
        return self.classifier(F.adaptive_avg_pool2d(h, 1).flatten(1)), None
