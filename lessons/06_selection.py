# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 06: selecting the architecture
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/06_selection.ipynb)
#
# About 2 minutes on a CPU with the `tiny` preset; the `colab` preset is sized for about 10 minutes on a Colab T4 GPU. No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# ## Learning goals
#
# A differentiable search ends with a supernet and its α. Lessons 02 and 03 turned α into a cell
# with the **magnitude rule**: keep, on every edge, the operation with the largest softmax(α). That
# rule assumes that α measures how much an operation contributes to the supernet. Wang et al.
# (DARTS-PT, ICLR 2021) argue that it does not, and that much of DARTS's preference for skip
# connections, and for the wide and shallow cells they make, comes from the selection, not from the
# search. After this lesson you can
#
# 1. measure the **operation strength** of an edge: the supernet's validation accuracy with one
#    operation removed, and say how often its top-1 disagrees with α's;
# 2. explain, with a one-edge model you can solve, why α of a skip connection grows as the supernet
#    gets better, whatever the skip connection is worth;
# 3. run **perturbation-based selection** (PT) and compare it with the magnitude rule on the same
#    NAS-Bench-201 supernets, judged by the benchmark's real accuracy, with and without a search
#    (α fixed at its initial value: "fix-α + PT");
# 4. run the **edge-shuffle test**: a supernet keeps most of its accuracy when two edges of every
#    cell swap places, a plain stack of convolutions does not;
# 5. say what each selection does to the width and depth of DARTS-space cells, and which of the
#    paper's claims held at this course's scales.

# %%
import copy
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from nascourse import bench, bench_analysis, config, data, exercises, plot, select, shuffle
from nascourse import genotypes as G
from nascourse.batches import search_split
from nascourse.history import SearchResult, make_config
from nascourse.network import PlainCNN
from nascourse.search import evaluate, search

preset = config.get_preset()  # tiny on a CPU, colab on a GPU, or $NASCOURSE_PRESET
device = config.get_device()  # cuda when there is a GPU, else cpu, or $NASCOURSE_DEVICE
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

# %% [markdown]
# ## 1. Two supernets from one recipe
#
# Two NAS-Bench-201 supernets trained on the same images: one searched by first-order DARTS, and one
# whose α never moves from its initial value (`method="fixed"`: only the weights train, every
# operation keeps a mixing weight of about 1/5). On the tiny preset: C = 8, one cell per stage, 16 × 16
# images, 2,048 search images (1,024 for the weights, 1,024 for α), 4 epochs of 16 steps, the tiny
# preset's $\eta_\alpha = 3\cdot10^{-3}$, as in lesson 02's live run.

# %%
cifar = data.load_dataset("cifar10")
images = 2048 if preset.name == "tiny" else preset.search_images
runs = {}
for method in ("darts1", "fixed"):
    cfg = make_config(method, "nb201", preset, epochs=4, search_images=images)
    runs[method] = search(cfg, seed=0, device=device, dataset=cifar, progress=False)
    h = runs[method].history[-1]
    print(f"{method:6s}: supernet validation accuracy {100 * h['val_acc']:.1f}%, magnitude cell "
          f"{runs[method].genotype_str}, real accuracy {bench.lookup(runs[method].genotype).cifar10:.2f}%")
supernets = {m: copy.deepcopy(r.supernet) for m, r in runs.items()}  # PT fine-tunes in place: keep the originals

# %% [markdown]
# ## 2. Operation strength
#
# DARTS-PT measures what an operation contributes by taking it away. The **strength** of operation
# $o$ on edge $e$ is the supernet's validation accuracy with $o$'s mixing weight set to 0 on that edge,
# every other weight unchanged and **no renormalisation** (the edge's output simply loses $o$'s term):
#
# $$\mathrm{ACC}_{\setminus o} = \mathrm{acc}\big(\text{supernet with } p_{e,o} := 0\big), \qquad
# o^* = \arg\min_o \mathrm{ACC}_{\setminus o}.$$
#
# The operation whose removal hurts most is the one the supernet relies on. As in the original code,
# the accuracy is measured without gradients and with batch normalisation using the batch's
# statistics; here on the first 8 validation batches (512 images), the same images for every
# candidate. One accuracy step is therefore $1/512 \approx 0.2$ points.

# %%
supernet = supernets["darts1"]
train_loader, val_loader = search_split(cifar, cfg.batch_size, cfg.image_size, cfg.search_images, device, 0)
eval_batches = val_loader.plain_batches(8)
weights = select.projected_weights(supernet)  # softmax(α): nothing is decided yet
ops = supernet.ops
base = evaluate(supernet, eval_batches, weights)[1]
print(f"supernet accuracy on the 512 images: {100 * base:.1f}%\n")
print(f"{'edge':>10s} | " + " | ".join(f"{o:>12s}" for o in ops) + " | by α          | by strength")
strength, disagree = [], 0
for e, name in enumerate(plot.edge_labels_for(6)):
    acc = select.operation_strength(supernet, eval_batches, weights, 0, e)
    strength.append(acc)
    by_alpha = ops[int(weights[0][e].argmax())]
    by_strength = ops[select.strongest_operation(acc, ops, exclude_none=False)]
    disagree += by_alpha != by_strength
    print(f"{name:>10s} | " + " | ".join(f"{p:.3f} {100 * a:5.1f}%" for p, a in zip(weights[0][e].tolist(), acc))
          + f" | {by_alpha:13s} | {by_strength}")
print(f"\neach entry: softmax(α) and ACC\\o. The top-1 operations disagree on {disagree} of 6 edges.")

# %%
drop = 100 * (base - np.array(strength))  # accuracy lost when the operation is removed, points
P = weights[0].cpu().numpy()
fig, ax = plt.subplots(figsize=(6.0, 3.8))
for k, o in enumerate(ops):
    ax.scatter(P[:, k], drop[:, k], color=plot.op_color(o), label=o, s=30)
ax.axhline(0, color="grey", lw=0.6)
ax.set(xlabel="softmax(α) of the operation", ylabel="accuracy lost when removed (points)",
       title="α against strength, all 30 operations of the tiny supernet")
ax.legend(fontsize=7)
plt.show()
print(f"Spearman rho(α, drop) over the 30 operations: {bench_analysis.spearman(P.ravel(), drop.ravel()):+.2f}")

# %% [markdown]
# ### What did we see
#
# * After 4 epochs of 16 steps softmax(α) spans 0.177 to 0.217 around the uniform 0.2, and the supernet
#   classifies 23.6 % of the 512 images. Removing one operation changes that by −1.5 to +3.0 points (one
#   image is 0.2 points).
# * The largest α and the strongest operation are different operations on **3 of the 6 edges**, and over
#   all 30 operations α and the drop are only weakly related (Spearman's ρ = +0.25). On edge 1←0 α's
#   favourite, conv 3 × 3, can be removed at no cost (the accuracy rises to 24.4 %); strength picks skip,
#   whose removal costs one image.
# * `none` always scores the unperturbed accuracy: its output is zero, so removing it changes nothing. It
#   is chosen only when removing every other operation *helps*, as on edge 3←1, where the supernet does
#   better without any of the four real operations (up to 26.6 % without conv 3 × 3).
# * With one image worth 0.2 points, single verdicts are noisy. The saved runs of section 6 count many
#   decisions on better-trained supernets.
#
# ## 3. Why α misleads: a model you can solve
#
# DARTS-PT's explanation (section 3 of the paper) treats a supernet as an **unrolled estimator**: every
# node refines an estimate of the same optimal feature map $m^*$, and a skip connection passes the
# node's input $x$ on unchanged. Take one edge with two operations, skip and a convolution with output
# $o$, and suppose both are unbiased estimates of $m^*$ with independent errors. The edge outputs
# $\bar m = p\,x + (1 - p)\,o$ with $p = p_{\rm skip}$ on the simplex. Minimising
# $E\|\bar m - m^*\|^2 = p^2\,\mathrm{var}(x - m^*) + (1-p)^2\,\mathrm{var}(o - m^*)$ gives
#
# $$p^*_{\rm skip} = \frac{\mathrm{var}(o - m^*)}{\mathrm{var}(x - m^*) + \mathrm{var}(o - m^*)},
# \qquad p^*_{\rm conv} = \frac{\mathrm{var}(x - m^*)}{\mathrm{var}(x - m^*) + \mathrm{var}(o - m^*)} .$$
#
# The skip connection's weight is set by the **convolution's** error, and the convolution's by the
# input's. As training makes the supernet better, the input $x$ of a late edge is already close to
# $m^*$, $\mathrm{var}(x - m^*)$ shrinks, and $p_{\rm skip}$ grows, even if the convolution is as good
# as it ever was. α then says "the input was good", not "skip is the right operation".
#
# Check it: fit α for one edge by gradient descent on $\|\mathrm{softmax}(\alpha)\cdot(x, o) - m^*\|^2$, as
# DARTS would, while the input's error shrinks and the convolution's stays fixed.

# %%
# NBVAL_CHECK_OUTPUT
def fitted_skip_weight(x, o, m, steps=500, lr=0.05):
    """softmax(α)_skip after Adam on the mean squared error of the mixed output, from α = 0."""
    alpha = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([alpha], lr=lr)
    for _ in range(steps):
        p = torch.softmax(alpha, 0)
        loss = ((p[0] * x + p[1] * o - m) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return torch.softmax(alpha, 0)[0].item()


gen = torch.Generator().manual_seed(0)
n, conv_error = 20_000, 0.5
m_star = torch.randn(n, generator=gen, dtype=torch.float64)
o_out = m_star + conv_error * torch.randn(n, generator=gen, dtype=torch.float64)
input_errors = [1.0, 0.7, 0.5, 0.35, 0.25, 0.15]  # the supernet improves from left to right
fitted, predicted = [], []
for s in input_errors:
    x_in = m_star + s * torch.randn(n, generator=gen, dtype=torch.float64)
    fitted.append(fitted_skip_weight(x_in, o_out, m_star))
    predicted.append(conv_error ** 2 / (s ** 2 + conv_error ** 2))
    print(f"input error sd {s:.2f}: p_skip fitted {fitted[-1]:.3f}, formula {predicted[-1]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.plot(input_errors, predicted, "-", color="grey", label="formula")
ax.plot(input_errors, fitted, "o", color=plot.op_color("skip_connect"), label="softmax(α) fitted by Adam")
ax.invert_xaxis()
ax.set(xlabel="sd of the input's error (the supernet improves →)", ylabel="p_skip",
       title=f"one edge, skip and a conv whose error sd stays {conv_error}")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The fitted weights follow the formula to the printed digits, and $p_{\rm skip}$ climbs from 0.2 to
# 0.9 while the convolution does not change at all. DARTS-PT's Figure 3 shows the real counterpart:
# mean $p_{\rm skip} - p_{\rm conv}$ grows with the supernet's validation accuracy (lesson 02,
# section 5, tracks the same quantity). In this one-edge model, removing the skip connection also
# hurts most, so strength and α agree; the disagreements of section 2 come from many edges acting
# together, which the model leaves out. What the model does show is that a large α can be earned by
# the *other* operations' errors.
#
# ## 4. Magnitude, PT and fix-α + PT on the same supernets
#
# **Perturbation-based selection** (`select.perturbation_select`) decides one edge at a time, in random
# order: it measures the strength of every operation on the edge, keeps the strongest (the edge becomes
# one-hot), then fine-tunes the supernet (weights, and α of the undecided edges) before the next
# decision. DARTS-PT fine-tunes 5 epochs between decisions at learning rate 0.0025; the tiny preset, 4
# steps. With α never trained, PT alone does the selecting: "fix-α + PT". The paper's NAS-Bench-201
# CIFAR-10 accuracies (Table 4): DARTS with magnitude **54.30 %**, DARTS + PT **88.11 %**, fix-α + PT
# **93.80 %**.

# %%
pt_config = select.make_pt_config("nb201", preset.name)
print(pt_config)
selections = {}
for method in ("darts1", "fixed"):
    tuned = copy.deepcopy(supernets[method])
    train_loader, val_loader = search_split(cifar, cfg.batch_size, cfg.image_size, cfg.search_images, device, 0)
    pt = select.perturbation_select(tuned, pt_config, train_loader, val_loader, seed=0, progress=False)
    selections[method] = {"magnitude": select.magnitude(supernets[method]), "PT": pt.genotype, "seconds": pt.seconds}
    first = pt.decisions[0]
    print(f"{method}: first decision on edge {first['edge']}: ACC\\o "
          f"{[round(100 * a, 1) for a in first['accuracy_without']]} -> {first['choice']} "
          f"(magnitude: {first['magnitude_choice']}); {pt.seconds:.1f} s")

# %%
paper = {("darts1", "magnitude"): 54.30, ("darts1", "PT"): 88.11, ("fixed", "PT"): 93.80}
names = {"darts1": "DARTS", "fixed": "fix-α"}
everything = bench.table()["cifar10"]  # all 15,625 cells, 200 epochs
print(f"{'supernet':8s} {'rule':10s} {'cell':72s} {'200 ep':>7s} {'12 ep':>6s} {'top':>6s} {'paper':>6s}")
for method, chosen in selections.items():
    for rule in ("magnitude", "PT"):
        record = bench.lookup(chosen[rule])
        ref = paper.get((method, rule))
        top = 100 * np.mean(everything > record.cifar10)  # share of the space that is better
        print(f"{names[method]:8s} {rule:10s} {chosen[rule]:72s} {record.cifar10:6.2f}% {record.cifar10_test12:5.2f}% "
              f"{top:5.1f}% " + (f"{ref:5.2f}%" if ref else "     -"))
print(f"the all-skip cell: {bench.lookup(['skip_connect'] * 6).cifar10:.2f}%; the best cell: {everything.max():.2f}%; "
      f"median cell: {np.median(everything):.2f}%")

# %% [markdown]
# One seed decides little. `lessons/results/selection-nb201-tiny/` holds this section's recipe (the
# same search, the same PT settings) run with `scripts/selection_nb201.py` for seeds 0 to 4; seed 0 is the
# run above.

# %%
def load_results(name):
    folder = Path("results") / name  # the notebook runs in lessons/
    if not folder.exists():
        folder = Path("lessons/results") / name  # or from the repository root
    return [json.loads(p.read_text()) for p in sorted(folder.glob("seed*.json"))]


def accuracy_table(saved):
    """Real accuracy (NAS-Bench-201, 200 epochs) of the four selections per seed, with mean and sd."""
    keys = [(m, r) for m in ("darts1", "fixed") for r in ("magnitude", "pt")]
    print(f"{'seed':>4s} | {'DARTS magnitude':>15s} {'DARTS + PT':>10s} | {'fix-α magnitude':>15s} {'fix-α + PT':>10s}")
    values = {k: [run["supernets"][k[0]][k[1]]["cifar10"] for run in saved] for k in keys}
    for i, run in enumerate(saved):
        print(f"{run['seed']:4d} | " + " | ".join(f"{values[(m, 'magnitude')][i]:14.2f}% {values[(m, 'pt')][i]:9.2f}%"
                                                  for m in ("darts1", "fixed")))
    for name, f in (("mean", np.mean), ("sd", np.std)):
        print(f"{name:>4s} | " + " | ".join(f"{f(values[(m, 'magnitude')]):14.2f}  {f(values[(m, 'pt')]):9.2f} "
                                            for m in ("darts1", "fixed")))
    print("paper|          54.30      88.11  |               -      93.80")
    return values


tiny_runs = load_results("selection-nb201-tiny")
print(f"the tiny recipe, {len(tiny_runs)} seeds: real CIFAR-10 accuracy (%)\n")
tiny_values = accuracy_table(tiny_runs)

# %% [markdown]
# ### What did we see
#
# * None of the four cells is the all-skip cell. At this scale DARTS did not collapse (lesson 02 found
#   the same), so the magnitude rule had nothing dramatic to get wrong: its cell is in the top 15 % of
#   the 15,625.
# * PT made DARTS's cell slightly worse here (92.19 % against 92.62 %) and picked the better cell from
#   the fixed-α supernet (92.93 % against 92.42 %, the best of the four).
# * With α fixed, "magnitude" is the argmax of α's random initialisation: a uniformly random cell. It
#   can be good, as here, or useless: in the five seeds above, one such draw (seed 3) disconnects the
#   cell's output (`none` on every path into the output) and scores 10 %.
# * Over five seeds PT did **not** beat magnitude on the tiny DARTS supernets (89.62 ± 1.35 % against
#   91.05 ± 2.06 %): it lost on seeds 0, 1 and 4, by up to 5.0 points. With 4 fine-tuning steps and 128
#   images per measurement, each PT decision compares accuracies a few images apart. Fix-α + PT was the
#   best and steadiest of the four (91.97 ± 1.07 %), the only part of the paper's ordering that showed.
#
# ## 5. The edge-shuffle test
#
# If a supernet's cells were circuits in which every edge had its own job, swapping two edges would
# break them. DARTS-PT's Table 1 swaps two random edges in every cell of a trained DARTS supernet at
# test time: accuracy falls only from 88.44 % to 81.09 ± 1.87 %, while a VGG-like network whose layers
# are swapped falls from 92.69 % to 9.83 %. `shuffle.shuffle_robustness` measures both: the searched
# supernet above, and a plain stack of 8 convolutions (`network.PlainCNN`, C = 16) trained on the same
# 1,024 images for the same 4 epochs (`shuffle.fit_plain`), 10 random swaps each, on the same 512
# validation images.

# %%
torch.manual_seed(0)
plain = PlainCNN(C=16, layers=8).to(device)
train_loader, _ = search_split(cifar, cfg.batch_size, cfg.image_size, cfg.search_images, device, 0)
shuffle.fit_plain(plain, train_loader, epochs=cfg.epochs)
shuffled = {"supernet (edges)": shuffle.shuffle_robustness(supernets["darts1"], eval_batches, draws=10),
            "plain CNN (layers)": shuffle.shuffle_robustness(plain, eval_batches, draws=10)}
for name, r in shuffled.items():
    print(f"{name:18s}: {100 * r['base']:.1f}% -> {100 * r['mean']:.1f} ± {100 * r['std']:.1f}% after a swap")

# %% [markdown]
# The supernet loses half a point when two edges of its cell swap places, well within the spread of the
# draws; the plain CNN loses 12 points, half of its (already low) accuracy, with a larger spread. The
# direction of DARTS-PT's Table 1 shows even in these barely trained networks: the supernet's edges are
# largely interchangeable, so the size of one edge's α cannot say much about what that edge does.
#
# ## 6. Larger scale: saved runs
#
# At the tiny preset the supernets are barely trained and α moves by thousandths. Three saved runs made
# with the library on a 2-core CPU (commands in the READMEs beside the JSON files) go further:
#
# * `lessons/results/selection-nb201/`: per seed, a DARTS (first-order) and a fixed-α NAS-Bench-201
#   supernet, C = 8, N = 2, 16 × 16 images, 5,000 search images, 12 epochs, $\eta_\alpha = 3\cdot10^{-4}$
#   (lesson 02's saved run is seed 0 of the same recipe); magnitude and PT selections from each, PT
#   with one epoch of fine-tuning between decisions and 10 validation batches per measurement; five
#   seeds, and seed 0 again with 40 search epochs (`selection-nb201-40ep/`).
# * `lessons/results/selection-darts/`: per seed, a DARTS-space supernet (first order, C = 8, 5 cells,
#   2,000 search images, 10 epochs), its magnitude and PT cells, and the edge-shuffle test against a
#   plain 8-layer CNN trained on the same images for as long.

# %%
nb201_runs = load_results("selection-nb201")
print(f"the larger recipe, {len(nb201_runs)} seeds: real CIFAR-10 accuracy (%)\n")
values = accuracy_table(nb201_runs)

# %%
def disagreement(saved, label):
    """How often PT's choice on an edge differs from the largest α on the same edge at that moment."""
    print(label)
    for m in ("darts1", "fixed"):
        decisions = [d for run in saved for d in run["supernets"][m]["pt_decisions"]]
        firsts = [run["supernets"][m]["pt_decisions"][0] for run in saved]
        differ = sum(d["choice"] != d["magnitude_choice"] for d in decisions)
        differ_first = sum(d["choice"] != d["magnitude_choice"] for d in firsts)
        chosen = {}
        for d in decisions:
            chosen.setdefault(d["choice"], [0, 0])[0] += 1
            chosen.setdefault(d["magnitude_choice"], [0, 0])[1] += 1
        print(f"  {names[m]}: strength and α disagree on {differ} of {len(decisions)} decisions "
              f"({differ_first} of {len(firsts)} first decisions, made on the supernet as searched)")
        print("     chosen by strength / by α: " + ", ".join(f"{o} {a}/{b}" for o, (a, b) in sorted(chosen.items())))


disagreement(tiny_runs, "tiny recipe:")
disagreement(nb201_runs, "larger recipe:")
for label, saved in (("tiny", tiny_runs), ("larger", nb201_runs)):
    threads = "two threads" if label == "tiny" else "one thread, beside other runs"
    print(f"{label} recipe, mean seconds per seed (2-core CPU, {threads}): DARTS search "
          f"{np.mean([r['supernets']['darts1']['search_seconds'] for r in saved]):.0f}, fixed-α training "
          f"{np.mean([r['supernets']['fixed']['search_seconds'] for r in saved]):.0f}, PT "
          f"{np.mean([r['supernets'][m]['pt_seconds'] for r in saved for m in ('darts1', 'fixed')]):.0f}")

# %% [markdown]
# DARTS-PT's Figure 4 adds time: the longer DARTS searches, the worse its magnitude cell, while PT on
# the same supernet stays good. `lessons/results/selection-nb201-40ep/` runs the larger recipe for
# 40 epochs instead of 12 (seed 0) and keeps the search's history, so the magnitude cell's real
# accuracy can be read after every epoch:

# %%
long_folder = Path("results/selection-nb201-40ep")
if not long_folder.exists():
    long_folder = Path("lessons/results/selection-nb201-40ep")
long_search = SearchResult.load(long_folder / "darts1-seed0")
long_runs = load_results("selection-nb201-40ep")
fig, ax = plt.subplots(figsize=(6.5, 3.4))
ax.plot(long_search.series("epoch"), long_search.series("bench_cifar10_200"), "o-", ms=3,
        color=plot.op_color("nor_conv_3x3"), label="magnitude cell after each epoch")
for run in long_runs:
    ax.axhline(run["supernets"]["darts1"]["pt"]["cifar10"], color=plot.op_color("skip_connect"), ls="--",
               label="PT on the epoch-40 supernet")
ax.set(xlabel="search epoch", ylabel="real CIFAR-10 accuracy (%)", title="DARTS on NAS-Bench-201, 40 epochs, seed 0")
ax.legend(fontsize=7)
ax.grid(alpha=0.3)
plt.show()
print("skip connections in the magnitude cell, per epoch:", long_search.series("skip_connect"))
for run in long_runs:
    for m in ("darts1", "fixed"):
        e = run["supernets"][m]
        print(f"{names[m]} after 40 epochs: magnitude {e['magnitude']['cifar10']:.2f}%, PT {e['pt']['cifar10']:.2f}% "
              f"({e['pt']['cell']})")

# %% [markdown]
# ### What did we see
#
# * **No collapse at this scale either.** The DARTS magnitude cells hold 1 to 4 skip edges and average
#   90.66 ± 2.00 % over five seeds, about the benchmark's median cell (90.74 %), nowhere near the
#   all-skip cell's 54.30 %.
# * **DARTS + PT > DARTS magnitude held**, by 1.6 points (92.27 ± 1.45 %), and on 4 of the 5 seeds
#   (seed 3: 92.07 against 92.21 %); the paper's gap is 34 points, because its magnitude cell collapsed.
# * **Fix-α + PT ≳ DARTS + PT did not hold**: 91.98 ± 1.00 % against 92.27 ± 1.45 %. With α fixed,
#   magnitude picks a uniformly random cell; these five happened to be good (91.93 ± 0.59 %).
# * **Strength and α disagree on most edges**: 21 of 30 decisions on the DARTS supernets, 22 of 30 with α
#   fixed (3 of 5 first decisions each); the tiny recipe, 26 and 23 of 30. Had α and strength nothing to do
#   with each other, the top-1 of five operations would differ 4 times in 5 (24 of 30): at these scales,
#   where α moves little, the largest α says almost nothing about the strongest operation. (In the
#   paper's two-operation space S2, α preferred skip over sep 3 × 3 on 12 of 14 edges, discretisation
#   accuracy on only half of them.) On the barely trained tiny DARTS supernets strength even chose `none`
#   in 10 of 30 decisions: removing any real operation there raised the accuracy.
# * **Longer search.** Over 40 epochs the magnitude cell reaches 93.05 % at epoch 3, then flips between
#   2, 3 and 4 skip edges and ends at 88.51 % (4 skips) for the last 8 epochs, while PT on the epoch-40
#   supernet returns a cell with one skip edge at 94.30 %, better than all but 5 of the 15,625 cells.
#   That is the direction of DARTS-PT's Figure 4, in one seed, at 88.51 % rather than 54.30 %.
#
# ## 7. What selection does to width and depth
#
# In the DARTS space the selection also decides the topology: each node keeps two inputs. The magnitude
# rule keeps the two edges with the largest α; PT removes, node by node, the edge whose removal hurts
# least. DARTS-PT's published cells (four seeds each, CIFAR-10; `genotypes.DARTS_PT` and
# `genotypes.FIX_ALPHA_PT`) against DARTS's own:

# %%
# NBVAL_CHECK_OUTPUT
published = {"DARTS_V1": [G.DARTS_V1], "DARTS_V2": [G.DARTS_V2], "DARTS + PT": list(G.DARTS_PT),
             "fix-α + PT": list(G.FIX_ALPHA_PT)}
for name, cells in published.items():
    shapes = [G.genotype_width_depth(g)["normal"] for g in cells]
    print(f"{name:11s} normal cells (width, depth): {shapes}; mean width {np.mean([w for w, _ in shapes]):.2f}c, "
          f"mean depth {np.mean([d for _, d in shapes]):.2f}")

# %% [markdown]
# And the saved DARTS-space runs, magnitude against PT on the same supernets, with their edge-shuffle
# test:

# %%
darts_runs = load_results("selection-darts")
print(f"DARTS space: {len(darts_runs)} seeds")
for run in darts_runs:
    sn, pc = run["shuffle"]["supernet"], run["shuffle"]["plain"]
    print(f"seed {run['seed']}: normal cell (width, depth) magnitude {tuple(run['magnitude']['normal'])}, "
          f"PT {tuple(run['pt']['normal'])}; reduction cell {tuple(run['magnitude']['reduce'])}, "
          f"{tuple(run['pt']['reduce'])}")
    print(f"        shuffle: supernet {100 * sn['base']:.1f}% -> {100 * sn['mean']:.1f} ± {100 * sn['std']:.1f}%, "
          f"plain CNN {100 * pc['base']:.1f}% -> {100 * pc['mean']:.1f} ± {100 * pc['std']:.1f}%")
if darts_runs:
    for rule in ("magnitude", "pt"):
        print(f"{rule:9s}: mean normal-cell width {np.mean([r[rule]['normal'][0] for r in darts_runs]):.2f}c, "
              f"depth {np.mean([r[rule]['normal'][1] for r in darts_runs]):.2f}")
    plot.draw_genotype(darts_runs[0]["pt"]["genotype"], title=f"PT cell, seed {darts_runs[0]['seed']}")
    plt.show()

# %% [markdown]
# ### What did we see
#
# * **Published cells.** DARTS-PT's cells are narrower and deeper than DARTS's: normal cells 2.5 to 3.0c
#   wide (mean 2.88c) against 3.5c, depth 3 to 4 (mean 3.5) against 3.
# * **Our DARTS-space runs** (three seeds, C = 8, 5 cells, 2,000 images, 10 epochs) went the other way.
#   The magnitude rule chose chains of convolutions: every normal cell 2.0c wide, depth 4 or 5, all eight
#   operations separable or dilated convolutions, no skip connection. PT chose wider, shallower cells in
#   two of three seeds (mean 2.5c, depth 3.7), with pooling in 10 to 14 of its 28 operation choices. At
#   this scale the search had not yet drifted to skip connections and wide cells, so there was no
#   shallowness for PT to undo, and **the paper's claim did not hold**.
# * **Edge shuffle at the larger scale held in all three seeds**: the supernet loses 1.9 to 2.5 points
#   (for example 39.1 → 36.6 ± 1.4 %), the plain CNN 16 to 19 points, to near chance.
# * Strength and α chose different operations in 25 to 27 of 28 decisions per seed, about what unrelated
#   rankings of 7 candidates give (24).
#
# ## Summary
#
# * The **strength** of an operation is the supernet's accuracy with that operation's weight set to 0 (no
#   renormalisation); **PT** keeps the operation whose removal hurts most, one edge at a time, and
#   fine-tunes between decisions.
# * In a one-edge model solved on paper and fitted by gradient descent, the skip connection's optimal
#   weight is $\mathrm{var}(o - m^*) / (\mathrm{var}(x - m^*) + \mathrm{var}(o - m^*))$: it grows as the
#   input improves, whatever skip is worth. α reports the other operations' errors.
# * Real CIFAR-10 accuracy of the selected NAS-Bench-201 cells (mean ± sd over five seeds; the paper's
#   54.30 / 88.11 / 93.80):
#
#   | recipe | DARTS magnitude | DARTS + PT | fix-α + PT |
#   |---|---|---|---|
#   | tiny (C = 8, N = 1, 2,048 images, 4 epochs) | 91.05 ± 2.06 | 89.62 ± 1.35 | 91.97 ± 1.07 |
#   | larger (C = 8, N = 2, 5,000 images, 12 epochs) | 90.66 ± 2.00 | 92.27 ± 1.45 | 91.98 ± 1.00 |
#   | larger, 40 epochs (seed 0) | 88.51 | 94.30 | 92.54 |
#
#   DARTS never collapsed to the all-skip cell at these scales, so magnitude selection did not fail as in
#   the paper. PT beat magnitude at the larger scale (4 of 5 seeds) and after 40 epochs, not at the tiny
#   one; fix-α + PT beat DARTS + PT at the tiny scale, not at the larger one.
# * The top-1 by α and by strength differ on about three edges in four, close to what unrelated rankings
#   give: at these scales the largest α says little about which operation matters.
# * A supernet keeps most of its accuracy when two edges of every cell swap places; a plain CNN does not
#   (DARTS-PT's Table 1 held, live at the tiny preset and in all three larger DARTS-space seeds).
# * DARTS-PT's published DARTS-space cells are narrower and deeper than DARTS's; in our small DARTS-space
#   runs PT's cells were wider and shallower than magnitude's, because magnitude had not yet drifted to
#   wide cells. Which selection favours wide and shallow cells depends on the scale the search reaches.
#
# ## Exercises
#
# Worked solutions: [`solutions/06_selection.ipynb`](../solutions/06_selection.ipynb).
#
# ### Exercise 1: operation strength
#
# Write `my_operation_strength(accuracy, weights, edge)`: `weights` is an `(edges, operations)` tensor
# of mixing weights and `accuracy(w)` returns the supernet's accuracy with mixing weights `w`. Return a
# list with one entry per operation $o$: the accuracy with $o$'s weight on `edge` set to 0, no
# renormalisation, every other weight as given. Do not change `weights` in place. Then call it on the
# tiny supernet of section 2 with
# `accuracy = lambda w: evaluate(supernet, eval_batches, [w])[1]` and compare with
# `select.operation_strength`.

# %% tags=["nbval-skip"]
def my_operation_strength(accuracy, weights, edge):
    """[ACC\\o for every operation o of ``edge``]: the accuracy with o's weight set to 0 there."""
    raise NotImplementedError  # your code here


exercises.check_operation_strength(my_operation_strength)

# %% [markdown]
# ### Exercise 2: the optimal skip weight, without assuming independence
#
# Section 3 assumed independent errors. Write `my_optimal_skip_weight(x, o, m)` for any samples: the
# $p \in [0, 1]$ that minimises the mean of $(p\,x + (1-p)\,o - m)^2$ (a one-variable least-squares
# problem; remember the simplex). Then use it on section 3's samples, and on a case where the
# convolution repeats the input's error twice as large ($o = m^* + 2(x - m^*)$): what does the edge
# do, and what would α say about the convolution?

# %% tags=["nbval-skip"]
def my_optimal_skip_weight(x, o, m):
    """The p_skip in [0, 1] minimising mean((p x + (1 - p) o - m)²)."""
    raise NotImplementedError  # your code here


exercises.check_optimal_skip_weight(my_optimal_skip_weight)
