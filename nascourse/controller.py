"""ENAS's controller: an LSTM policy that samples DARTS-space cells, and what REINFORCE needs of it.

ENAS (Pham et al., ICML 2018, section 2.3, "micro" search) trains an LSTM to emit a cell
decision by decision. For each intermediate node of the normal cell, then of the reduction cell:

    input 1, input 2   attention over the nodes built so far:  v · tanh(W1 anchor_j + W2 h)
    op 1, op 2         a softmax layer on the LSTM's state:      W_soft h + b_soft

each squashed as ENAS's code does, c · tanh(logits / T) (c = 1.1 for inputs, 1.1 / 2.5 for
operations), and each decision fed back as the next step's input (the chosen node's anchor, the
chosen operation's embedding). The anchor of a node is the LSTM's state after its four
decisions; the two input nodes' anchors are zero. A node may read the same input twice (ENAS's
rule, kept here: the published ENAS cell does it); then both of its operations act on that edge.

Differences from the original, all of them from running in this library's space: the operations
are the DARTS space's seven (``none`` cannot be chosen), where ENAS's own micro space had five
(3x3 and 5x5 separable convolutions, 3x3 average and max pooling, identity); a node's two
operations on one edge share that edge's weights in the supernet, where ENAS kept one set per
slot; ENAS's starting preference for its two separable convolutions (a large bias, squashed by
tanh, plus a fixed 0.25 in the normal cell) is kept, on the DARTS space's two separable
convolutions.

``EnasController.sample`` draws cells with their log-probabilities and entropies (Gumbel-max on
noise from a CPU generator, so samples are the same on every device); ``log_prob`` scores given
decisions (teacher forcing); ``cell_weights`` and ``cell_genotype`` turn decisions into a
supernet path and a ``Genotype``. The REINFORCE step itself is ``steps.enas_controller_step``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .genotypes import Genotype

__all__ = ["EnasController", "EnasSample", "cell_weights", "cell_genotype", "edge_frequencies"]


@dataclass
class EnasSample:
    """Cells drawn by the controller: ``decisions`` (n, 2, steps, 4) long, for the normal then the
    reduction cell and each node (input 1, input 2, op 1, op 2), op indices into ``ops``; the
    log-probability of each cell (n,) with its gradient; the entropy of each cell's decisions (n,),
    summed over decisions, without gradient (ENAS's bonus)."""

    decisions: torch.Tensor
    log_prob: torch.Tensor
    entropy: torch.Tensor


class EnasController(nn.Module):
    """The LSTM policy of ENAS's micro search over a DARTS-space cell pair.

    Args:
        ops: the supernet's operation names; ``none`` is never proposed.
        steps: intermediate nodes per cell (4 in the DARTS space; ENAS: 5).
        lstm_size: hidden units of the one-layer LSTM (ENAS's code: 64).
        tanh_constant: c in c · tanh(logits / T) (ENAS: 1.1); None: no squashing.
        op_tanh_reduce: the operations' constant is tanh_constant / op_tanh_reduce (ENAS: 2.5).
        temperature: T (ENAS's CIFAR-10 search: None, i.e. 1).
        favoured: operations the policy starts biased towards (ENAS: its separable convolutions).
    """

    def __init__(self, ops: list[str], steps: int = 4, lstm_size: int = 64, tanh_constant: float | None = 1.1,
                 op_tanh_reduce: float = 2.5, temperature: float | None = None,
                 favoured: tuple[str, ...] = ("sep_conv_3x3", "sep_conv_5x5")):
        super().__init__()
        self.ops = list(ops)
        self.choices = [o for o, name in enumerate(self.ops) if name != "none"]  # op index per policy class
        if not self.choices:
            raise ValueError(f"operation list {ops} has nothing but 'none' for the controller to choose")
        if not isinstance(steps, int) or steps < 1 or not isinstance(lstm_size, int) or lstm_size < 1:
            raise ValueError(f"steps and lstm_size must be positive ints, got {steps!r}, {lstm_size!r}")
        self.steps, self.lstm_size = steps, lstm_size
        self.tanh_constant, self.op_tanh_reduce, self.temperature = tanh_constant, op_tanh_reduce, temperature
        k, n = lstm_size, len(self.choices)
        self.lstm = nn.LSTMCell(k, k)
        self.g_emb = nn.Parameter(torch.empty(1, k))  # the input that starts each node
        self.w_emb = nn.Embedding(n, k)  # the chosen operation, fed back
        self.w_soft = nn.Linear(k, n)
        self.w_attn_1 = nn.Linear(k, k, bias=False)
        self.w_attn_2 = nn.Linear(k, k, bias=False)
        self.v_attn = nn.Linear(k, 1, bias=False)
        for p in self.parameters():  # ENAS initialises every variable uniformly in [-0.1, 0.1]
            nn.init.uniform_(p, -0.1, 0.1)
        favour = torch.tensor([self.ops[o] in favoured for o in self.choices])
        with torch.no_grad():
            self.w_soft.bias.copy_(torch.where(favour, 10.0, 0.0))
        # ENAS adds a fixed preference to the first (normal) cell's operation logits
        self.register_buffer("normal_bias", torch.where(favour, 0.25, -0.25), persistent=False)
        # REINFORCE's moving-average baseline, saved with the controller
        self.register_buffer("baseline", torch.zeros((), dtype=torch.float64))

    # ------------------------------------------------------------------ the decisions

    def _squash(self, logits: torch.Tensor, constant: float | None) -> torch.Tensor:
        if self.temperature is not None:
            logits = logits / self.temperature
        return logits if constant is None else constant * torch.tanh(logits)

    def _run(self, n: int, generator: torch.Generator | None, decisions: torch.Tensor | None) -> EnasSample:
        """Sample n cells (``decisions`` None) or score the given ones, with one code path for both."""
        device, k = self.g_emb.device, self.lstm_size
        real = dict(dtype=self.g_emb.dtype, device=device)
        out = torch.zeros(n, 2, self.steps, 4, dtype=torch.long, device=device)
        log_prob, entropy = torch.zeros(n, **real), torch.zeros(n, **real)
        h = c = torch.zeros(n, k, **real)
        op_constant = None if self.tanh_constant is None else self.tanh_constant / self.op_tanh_reduce

        def decide(logits: torch.Tensor, cell: int, node: int, slot: int) -> torch.Tensor:
            nonlocal log_prob, entropy
            logp = F.log_softmax(logits, dim=-1)  # (n, classes)
            if decisions is None:  # Gumbel-max: argmax(logits + G) ~ softmax(logits)
                gumbel = -torch.empty(logits.shape).exponential_(generator=generator).log().to(device)
                choice = (logp.detach() + gumbel).argmax(-1)
            else:
                choice = decisions[:, cell, node, slot].to(device)
            out[:, cell, node, slot] = choice
            log_prob = log_prob + logp.gather(1, choice[:, None])[:, 0]
            entropy = entropy - (logp.exp() * logp).sum(-1).detach()
            return choice

        for cell in range(2):
            x = self.g_emb.expand(n, k)
            anchors, keys = [], []
            for _ in range(2):  # the cell's two inputs: zero anchors, keys from the LSTM's state
                h, c = self.lstm(x, (h, c))
                anchors.append(torch.zeros(n, k, **real))
                keys.append(self.w_attn_1(h))
            for node in range(self.steps):
                for slot in range(2):  # which earlier nodes to read
                    h, c = self.lstm(x, (h, c))
                    query = torch.tanh(torch.stack(keys, 1) + self.w_attn_2(h)[:, None])  # (n, nodes, k)
                    logits = self._squash(self.v_attn(query)[..., 0], self.tanh_constant)  # (n, nodes)
                    j = decide(logits, cell, node, slot)
                    x = torch.stack(anchors, 1)[torch.arange(n, device=device), j]
                for slot in range(2):  # which operation on each
                    h, c = self.lstm(x, (h, c))
                    logits = self._squash(self.w_soft(h), op_constant)
                    if cell == 0:
                        logits = logits + self.normal_bias
                    o = decide(logits, cell, node, 2 + slot)
                    x = self.w_emb(o)
                h, c = self.lstm(x, (h, c))
                anchors.append(h)
                keys.append(self.w_attn_1(h))
                x = self.g_emb.expand(n, k)
        out[:, :, :, 2:] = torch.tensor(self.choices, device=device)[out[:, :, :, 2:]]
        return EnasSample(out, log_prob, entropy)

    def sample(self, n: int, generator: torch.Generator) -> EnasSample:
        """Draw n cell pairs; their log-probabilities carry gradients for REINFORCE."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int (cells to sample), got {n!r}")
        return self._run(n, generator, None)

    def log_prob(self, decisions: torch.Tensor) -> EnasSample:
        """Score given decisions (n, 2, steps, 4): their log-probabilities and entropies under the policy."""
        decisions = torch.as_tensor(decisions, dtype=torch.long).cpu()
        if decisions.dim() != 4 or decisions.shape[1:] != (2, self.steps, 4):
            raise ValueError(f"decisions must be shaped (n, 2, {self.steps}, 4), got {tuple(decisions.shape)}")
        readable = 2 + torch.arange(self.steps)[:, None]  # node i reads nodes 0 .. i + 1
        if ((decisions[..., :2] < 0) | (decisions[..., :2] >= readable)).any():
            raise ValueError("decisions read a node that is not built yet: node i (from 0) reads inputs 0 .. i + 1")
        lookup = torch.full((len(self.ops),), -1, dtype=torch.long)
        lookup[self.choices] = torch.arange(len(self.choices))
        ops = decisions[..., 2:]
        if ((ops < 0) | (ops >= len(self.ops))).any() or (lookup[ops.clamp(0, len(self.ops) - 1)] < 0).any():
            raise ValueError(f"decisions name operations outside the controller's choices "
                             f"{[self.ops[o] for o in self.choices]}")
        classes = decisions.clone()
        classes[..., 2:] = lookup[ops]
        return self._run(len(decisions), None, classes)


def cell_weights(decisions: torch.Tensor, num_ops: int, steps: int = 4) -> list[torch.Tensor]:
    """One sampled cell pair (2, steps, 4) as a supernet path: [w_normal, w_reduce], each (edges, num_ops),
    holding how many of a node's two picks take each edge through each operation (0, 1 or 2)."""
    out = []
    for cell in decisions.tolist():
        w = torch.zeros(sum(2 + i for i in range(steps)), num_ops)
        start = 0
        for node, (i1, i2, o1, o2) in enumerate(cell):
            w[start + i1, o1] += 1
            w[start + i2, o2] += 1
            start += 2 + node
        out.append(w)
    return out


def cell_genotype(decisions: torch.Tensor, ops: list[str], steps: int = 4) -> Genotype:
    """One sampled cell pair (2, steps, 4) as a ``Genotype``; every intermediate node is concatenated."""
    cells = [[entry for i1, i2, o1, o2 in cell for entry in ((ops[o1], i1), (ops[o2], i2))]
             for cell in decisions.tolist()]
    concat = list(range(2, 2 + steps))
    return Genotype(normal=cells[0], normal_concat=concat, reduce=cells[1], reduce_concat=concat)


def edge_frequencies(decisions: torch.Tensor, ops: list[str], steps: int = 4) -> list[torch.Tensor]:
    """The controller's edge probabilities, estimated from sampled cells (n, 2, steps, 4), in softmax(α)'s
    shape: entry (e, o) is the mean number of picks that take edge e through operation o; the ``none``
    column is the fraction of cells that leave edge e unused (a row sums to 1 unless a node read that
    input twice)."""
    paths = [cell_weights(row, len(ops), steps) for row in decisions.cpu()]
    out = []
    for cell in range(2):
        counts = torch.stack([p[cell] for p in paths])  # (n, edges, |O|)
        freq = counts.mean(0)
        if "none" in ops:
            freq[:, ops.index("none")] = (counts.sum(2) == 0).double().mean(0).to(freq)
        out.append(freq)
    return out
