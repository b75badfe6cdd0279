"""nascourse: differentiable neural architecture search, small enough to read, fast enough to run.

A course library on one question: why do NAS algorithms favour wide and shallow cells, and what
does that cost? Each module is one idea; data flows through them in this order::

    module          what to import it for
    config          presets (tiny, colab, paper), device choice, seeding: get_preset, seed_everything
    data            CIFAR read and cached once, as uint8 arrays: load_dataset
    batches         augmented batches on the device, DARTS's split: search_split, DeviceLoader
    ops             the candidate operations: DARTS_OPS, NB201_OPS
    genotypes       architectures as data: Genotype, DARTS_V2, genotype_from_str, cell_width_depth
    variants        cells made from cells: widest_shallowest, width_family, random_connections,
                    sample_darts_genotype, darts_neighbours
    nb201           NAS-Bench-201 cells: nb201_parse, nb201_format, nb201_width_depth, nb201_neighbours
    bench           NAS-Bench-201's measured accuracy of all 15,625 cells: lookup, rank, best
    bench_analysis  what the whole table says about width, depth and the training budget
    nb301           NAS-Bench-301's surrogate: the predicted accuracy of any DARTS-space cell at any
                    epoch, checked on 725 measured cells: predict, encode, validate
    controller      ENAS's LSTM policy over DARTS-space cells: EnasController
    supernet        the weight-sharing supernets: DartsSupernet, NB201Supernet
    fast            the same DARTS supernet forward in fewer kernels: FastDartsForward
    hypergrad       hypergradient estimators (first order, unrolled, Neumann, CG, exact)
    sharpness       the Hessian's largest eigenvalue (weights or α) and DARTS-ES's stopping rule:
                    hessian_max_eigenvalue, alpha_hessian_max_eigenvalue, darts_es
    flatness        neighbourhoods of cells: scores over all of NAS-Bench-201, NA-RS against RS, and
                    NA-DARTS's perturbed neighbours of softmax(alpha)
    methods         each search method's configuration, the papers' settings: make_config
    history         what a search did: its history, results on disk, checkpoints: SearchResult
    steps           one iteration of each method: weight step, architecture step: train_step
    search          the search loop (darts1, darts2, idarts, gdas, rsws, fixed, nadarts, snas, enas):
                    search.search
    select          architecture selection: magnitude, DARTS-PT's operation and edge strength
    shuffle         why alpha misleads: a supernet survives swapped edges, a plain CNN does not
    runs            run folders that never lose work: atomic writes, safe checkpoints
    folders         one writer per folder (a lock), and disk errors said in one line
    stats           how sure a comparison over a few seeds is: mean_ci, paired_test, spearman, kendall
    ranking         how well a supernet ranks NAS-Bench-201 cells and whom it favours: score_cells,
                    stratified_sample, agreement, favours, regret
    network         discrete networks from a genotype: DartsNetwork, NB201Network
    train           training a network from scratch: make_train_config, build_network, train
    landscape       loss surfaces and gradient variance: random_direction, surface_2d, gradient_variance
    plot, widgets   figures and notebook front ends
    cost            what every NAS-Bench-201 selector picks in the saved runs, and its regret: cost_table
    claims          the claims the lessons test, the verdict rule, the table: CLAIMS, verdict, show
    evidence        every claim the lessons test, computed from the saved runs: compute, show
                    (with evidence_nb301 for the DARTS space and evidence_ranking for lesson 08)

A first search from Python (the tiny preset runs in about a minute on a laptop CPU)::

    from nascourse import make_config
    from nascourse.search import search
    result = search(make_config("darts1", space="darts", preset="tiny"), seed=0, out="runs/first")
    print(result.genotype, result.history[-1]["width"], result.history[-1]["depth"])

and from a shell: ``nascourse search --preset tiny --out runs/first``. The lessons in ``lessons/``
walk through the papers behind each module.

The names below are imported on first use, so ``import nascourse`` (and ``nascourse --help``)
does not load PyTorch until something needs it. (The function ``search`` is imported from its
module, ``nascourse.search``, whose name it shares.)
"""

from __future__ import annotations

import importlib

#: The version of nascourse (``nascourse --version`` prints it).
__version__ = "0.1.0"

# name -> the module that defines it
_NAMES = {
    "get_preset": "config", "get_device": "config", "seed_everything": "config", "PRESETS": "config",
    "load_dataset": "data", "search_split": "batches", "DeviceLoader": "batches",
    "DARTS_OPS": "ops", "NB201_OPS": "ops",
    "Genotype": "genotypes", "DARTS_V1": "genotypes", "DARTS_V2": "genotypes", "genotype_from_str": "genotypes",
    "genotype_to_str": "genotypes", "cell_width_depth": "genotypes", "widest_shallowest": "variants",
    "nb201_parse": "nb201", "nb201_format": "nb201",
    "DartsSupernet": "supernet", "NB201Supernet": "supernet",
    "hypergradient": "hypergrad",
    "make_config": "methods", "SearchResult": "history",
    "SearchInterrupted": "search",
    "DartsNetwork": "network", "NB201Network": "network",
}
_MODULES = ("config", "data", "batches", "ops", "genotypes", "variants", "nb201", "bench", "bench_analysis", "nb301",
            "controller", "supernet", "fast", "hypergrad", "sharpness", "flatness", "methods", "history", "steps",
            "search", "select",
            "shuffle", "runs", "folders", "stats", "ranking", "network", "train", "landscape", "plot", "alphaplot",
            "landscapeplot", "widgets", "stepcheck", "cost", "claims", "evidence", "evidence_nb301",
            "evidence_ranking", "cli")

__all__ = ["__version__", *_NAMES]


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nascourse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES) | set(_MODULES))
