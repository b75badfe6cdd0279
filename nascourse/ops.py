"""The candidate operations of the DARTS and NAS-Bench-201 search spaces.

A cell is a small graph whose edges each carry one operation. A search space is the list of
operations an edge may choose from; this module defines both lists and every operation in them,
exactly as the original code builds them:

* ``DARTS_OPS`` (Liu et al., ICLR 2019, section 3.1.1): 8 operations, in the order of DARTS's
  code (quark0/darts ``cnn/genotypes.py``), which is the column order of alpha.
* ``NB201_OPS`` (Dong & Yang, ICLR 2020, section 2.1): 5 operations, in NAS-Bench-201's order.
* ``sep_conv_7x7`` and ``conv_7x1_1x7``, used only at evaluation, to rebuild the NASNet and
  AmoebaNet cells studied by Shu, Wang & Cai (ICLR 2020).

Every operation maps (B, C, H, W) to (B, C, H, W) at stride 1 and to (B, C, ceil(H/2), ceil(W/2))
at stride 2, for odd and even H and W. ``make_op(name, C, stride, affine)`` builds one; ``affine``
is False inside a supernet (DARTS disables BN's learnable scale and shift during search so that
BN cannot rescale an operation's output: Liu et al., ICLR 2019, appendix A.1.1) and True in a
discrete network.
Lesson 01 draws them; every later lesson uses them through a supernet.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: The DARTS search space's 8 candidate operations, in the order of alpha's columns.
DARTS_OPS = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]
#: NAS-Bench-201's 5 candidate operations, in the order of alpha's columns and of the benchmark's strings.
NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EVAL_ONLY_OPS = ["sep_conv_7x7", "conv_7x1_1x7"]  # NASNet and AmoebaNet cells
PARAMETER_FREE_OPS = {"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect"}  # at stride 1
POOL_OPS = {"max_pool_3x3", "avg_pool_3x3"}


class ReLUConvBN(nn.Module):
    """ReLU -> Conv k x k (stride s, no bias) -> BN. Also NAS-Bench-201's ``nor_conv``."""

    def __init__(self, C_in: int, C_out: int, kernel_size: int, stride: int, padding: int, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(C_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, C_out, H', W'), H' and W' set by the stride and padding."""
        return self.op(x)


class DilConv(nn.Module):
    """ReLU -> depthwise dilated Conv k x k (stride s) -> pointwise 1x1 Conv -> BN."""

    def __init__(self, C_in: int, C_out: int, kernel_size: int, stride: int, padding: int, dilation: int,
                 affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size, stride=stride, padding=padding, dilation=dilation,
                      groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, 1, bias=False),
            nn.BatchNorm2d(C_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, C_out, H', W'), H' and W' set by the stride, padding and dilation."""
        return self.op(x)


class SepConv(nn.Module):
    """Two separable units; only the first carries the stride (DARTS applies separable convolutions
    twice: Liu et al., ICLR 2019, section 3.1.1).

    unit = ReLU -> depthwise Conv k x k -> pointwise 1x1 Conv -> BN.
    """

    def __init__(self, C_in: int, C_out: int, kernel_size: int, stride: int, padding: int, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            DilConv(C_in, C_in, kernel_size, stride, padding, dilation=1, affine=affine),
            DilConv(C_in, C_out, kernel_size, 1, padding, dilation=1, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, C_out, H', W'), H' and W' set by the first unit's stride and padding."""
        return self.op(x)


class Conv7x1_1x7(nn.Module):
    """ReLU -> Conv 1x7 (stride (1, s)) -> Conv 7x1 (stride (s, 1)) -> BN. NASNet/AmoebaNet only."""

    def __init__(self, C: int, stride: int, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C, C, (1, 7), stride=(1, stride), padding=(0, 3), bias=False),
            nn.Conv2d(C, C, (7, 1), stride=(stride, 1), padding=(3, 0), bias=False),
            nn.BatchNorm2d(C, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C, ceil(H/s), ceil(W/s))."""
        return self.op(x)


class Identity(nn.Module):
    """The ``skip_connect`` operation at stride 1: the input, unchanged."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> the same tensor."""
        return x


class Zero(nn.Module):
    """The ``none`` operation: zeros shaped like the (subsampled, at stride 2) input.

    Multiplying by 0 rather than returning ``torch.zeros`` keeps a NaN input visible, as in DARTS.
    """

    def __init__(self, stride: int):
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> zeros (B, C, ceil(H/s), ceil(W/s))."""
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    """Halve H and W with two offset 1x1 stride-2 convolutions, concatenated on channels.

    (B, C_in, H, W) -> (B, C_out, ceil(H/2), ceil(W/2)). The second conv sees the input shifted
    by one pixel. Padding right and bottom by one first (NAS-Bench-201's variant) gives the same
    result as DARTS's ``x[:, :, 1:, 1:]`` on even sizes and also works on odd ones.
    """

    def __init__(self, C_in: int, C_out: int, affine: bool = True):
        super().__init__()
        if C_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of output channels, got C_out={C_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(C_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, C_out, ceil(H/2), ceil(W/2))."""
        x = self.relu(x)
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]  # x moved up-left by one pixel, zero-filled
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


class ResNetBasicBlock(nn.Module):
    """NAS-Bench-201's fixed block between stages (Dong & Yang, ICLR 2020, section 2.1), stride 2.

    main: ReLU -> Conv 3x3 (stride 2) -> BN -> ReLU -> Conv 3x3 -> BN;
    shortcut: AvgPool 2x2 (stride 2) -> Conv 1x1; output = main + shortcut.
    """

    def __init__(self, C_in: int, C_out: int, affine: bool = True):
        super().__init__()
        self.conv_a = ReLUConvBN(C_in, C_out, 3, 2, 1, affine)
        self.conv_b = ReLUConvBN(C_out, C_out, 3, 1, 1, affine)
        # ceil_mode keeps odd sizes in step with the stride-2 convolution of the main branch
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(2, stride=2, ceil_mode=True, count_include_pad=False),
            nn.Conv2d(C_in, C_out, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, C_out, ceil(H/2), ceil(W/2))."""
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)


# name -> factory(C, stride, affine). Every operation keeps C channels.
OPS = {
    "none": lambda C, stride, affine: Zero(stride),
    "max_pool_3x3": lambda C, stride, affine: nn.MaxPool2d(3, stride=stride, padding=1),
    "avg_pool_3x3": lambda C, stride, affine: nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False),
    "skip_connect": lambda C, stride, affine: Identity() if stride == 1 else FactorizedReduce(C, C, affine),
    "sep_conv_3x3": lambda C, stride, affine: SepConv(C, C, 3, stride, 1, affine),
    "sep_conv_5x5": lambda C, stride, affine: SepConv(C, C, 5, stride, 2, affine),
    "sep_conv_7x7": lambda C, stride, affine: SepConv(C, C, 7, stride, 3, affine),
    "dil_conv_3x3": lambda C, stride, affine: DilConv(C, C, 3, stride, 2, 2, affine),
    "dil_conv_5x5": lambda C, stride, affine: DilConv(C, C, 5, stride, 4, 2, affine),
    "conv_7x1_1x7": lambda C, stride, affine: Conv7x1_1x7(C, stride, affine),
    "nor_conv_1x1": lambda C, stride, affine: ReLUConvBN(C, C, 1, stride, 0, affine),
    "nor_conv_3x3": lambda C, stride, affine: ReLUConvBN(C, C, 3, stride, 1, affine),
}


def make_op(name: str, C: int, stride: int = 1, affine: bool = True) -> nn.Module:
    """Build operation ``name`` on C channels: (B, C, H, W) -> (B, C, ceil(H/s), ceil(W/s))."""
    if name not in OPS:
        raise ValueError(f"unknown operation {name!r}: valid operations are {sorted(OPS)}")
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, got {stride!r}")
    return OPS[name](C, stride, affine)


def check_ops(ops: list[str] | tuple[str, ...]) -> list[str]:
    """Return ``ops`` as a list after checking every name; raises ValueError naming the bad one."""
    ops = list(ops)
    if not ops:
        raise ValueError("the operation list is empty: pass e.g. nascourse.ops.DARTS_OPS")
    for name in ops:
        if name not in OPS:
            raise ValueError(f"unknown operation {name!r} in {ops}: valid operations are {sorted(OPS)}")
    if len(set(ops)) != len(ops):
        raise ValueError(f"operation list {ops} names an operation twice")
    return ops
