"""Tests for nascourse.batches: every image once per epoch, augmentation against per-sample oracles,
exact resume, the DARTS split and the preset's loaders."""

import pytest
import torch
import torch.nn.functional as F

from nascourse import batches, data
from nascourse.config import get_preset

CPU = "cpu"


# ---------------------------------------------------------------- loaders

def ids_dataset(n=103, size=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8), torch.arange(n)


def epoch(loader):
    return [(x.clone(), y.clone()) for x, y in loader]


def same(a, b):
    return len(a) == len(b) and all(torch.equal(x1, x2) and torch.equal(y1, y2) for (x1, y1), (x2, y2) in zip(a, b))


def test_each_sample_once_per_epoch():
    x, ids = ids_dataset(103)
    loader = batches.DeviceLoader(x, ids, 10, CPU, (0.5,) * 3, (0.25,) * 3, augment=True, seed=1)
    assert len(loader) == 11
    orders = []
    for _ in range(2):
        ys = [y for _, y in loader]
        assert [len(y) for y in ys] == [10] * 10 + [3]
        seen = torch.cat(ys)
        assert sorted(seen.tolist()) == list(range(103))
        orders.append(seen)
    assert not torch.equal(orders[0], orders[1])  # a new permutation each epoch
    dropped = batches.DeviceLoader(x, ids, 10, CPU, (0.5,) * 3, (0.25,) * 3, drop_last=True)
    ys = torch.cat([y for _, y in dropped])
    assert len(dropped) == 10 and len(ys) == 100 and len(set(ys.tolist())) == 100
    ordered = batches.DeviceLoader(x, ids, 10, CPU, (0.5,) * 3, (0.25,) * 3, shuffle=False)
    assert torch.cat([y for _, y in ordered]).tolist() == list(range(103))


def test_seed_reproducible_and_distinct():
    x, ids = ids_dataset(50)
    make = lambda seed: batches.DeviceLoader(x, ids, 16, CPU, (0.5,) * 3, (0.2,) * 3, augment=True, seed=seed)  # noqa: E731
    a, b, c = make(3), make(3), make(4)
    ea, eb, ec = [epoch(a) + epoch(a), epoch(b) + epoch(b), epoch(c) + epoch(c)]
    assert same(ea, eb) and not same(ea, ec)


def test_crop_flip_matches_per_sample_oracle():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (20, 3, 6, 7), generator=g, dtype=torch.uint8)
    offsets = torch.randint(0, 5, (20, 2), generator=g)
    flips = torch.rand(20, generator=g) < 0.5
    out = batches.crop_flip(x, offsets, flips, 2)
    for i in range(20):
        padded = F.pad(x[i], (2, 2, 2, 2))
        top, left = offsets[i].tolist()
        crop = padded[:, top:top + 6, left:left + 7]
        assert torch.equal(out[i], crop.flip(-1) if flips[i] else crop)


def test_augmented_samples_are_shifts_or_flips_of_the_padded_image():
    base = torch.arange(1, 193, dtype=torch.uint8).reshape(1, 3, 8, 8)  # unique, non-zero values
    n, p = 400, 2
    loader = batches.DeviceLoader(base.expand(n, -1, -1, -1).contiguous(), torch.zeros(n, dtype=torch.long), 100, CPU,
                               (0.0,) * 3, (1.0,) * 3, augment=True, seed=0, padding=p)
    padded = F.pad(base[0], (p,) * 4)
    candidates = {}
    for top in range(2 * p + 1):
        for left in range(2 * p + 1):
            crop = padded[:, top:top + 8, left:left + 8]
            candidates[crop.numpy().tobytes()] = (top, left, False)
            candidates[crop.flip(-1).numpy().tobytes()] = (top, left, True)
    found = []
    for xb, _ in loader:
        raw = (xb * 255).round().to(torch.uint8)  # mean 0, std 1: undo the /255
        for img in raw:
            found.append(candidates[img.numpy().tobytes()])  # KeyError = not a shift or flip
    flips = sum(f for *_, f in found)
    assert 150 < flips < 250  # Binomial(400, 1/2): mean 200, sd 10
    assert {(t, l) for t, l, _ in found} == {(t, l) for t in range(5) for l in range(5)}


def test_normalised_epoch_has_zero_mean_unit_std():
    x, ids = ids_dataset(90, size=6)
    x[:, 1] //= 3  # make channels differ
    mean, std = data.channel_stats(x)
    loader = batches.DeviceLoader(x, ids, 32, CPU, mean, std, augment=False)
    xs = torch.cat([xb for xb, _ in loader]).double()
    assert xs.dtype == torch.float64 and xs.shape == (90, 3, 6, 6)
    per_channel = xs.transpose(0, 1).reshape(3, -1)
    assert per_channel.mean(1).abs().max() < 1e-5
    assert (per_channel.std(1, correction=0) - 1).abs().max() < 1e-5


def test_state_dict_resumes_the_next_epoch_exactly():
    x, ids = ids_dataset(40)
    args = (x, ids, 16, CPU, (0.5,) * 3, (0.2,) * 3)
    original = batches.DeviceLoader(*args, augment=True, seed=7)
    epoch(original)
    state = original.state_dict()
    expected = epoch(original)
    resumed = batches.DeviceLoader(*args, augment=True, seed=123)
    resumed.load_state_dict(state)
    assert resumed.epoch == 1 and same(epoch(resumed), expected)


def test_plain_batches_are_the_stored_images_in_order_and_leave_the_loader_alone():
    x, ids = ids_dataset(40)
    args = (x, ids, 16, CPU, (0.5,) * 3, (0.2,) * 3)
    loader = batches.DeviceLoader(*args, augment=True, seed=7)
    twin = batches.DeviceLoader(*args, augment=True, seed=7)
    plain = loader.plain_batches()
    assert [len(y) for _, y in plain] == [16, 16, 8] and torch.equal(torch.cat([y for _, y in plain]), ids)
    torch.testing.assert_close(plain[0][0][0, 0], (x[0, 0].float() / 255 - 0.5) / 0.2)  # no crop, no flip
    assert same(loader.plain_batches(), plain) and len(loader.plain_batches(2)) == 2
    assert same(epoch(loader), epoch(twin))  # the augmented epochs are as if plain_batches were never called


def test_end_epoch_makes_the_next_iteration_a_fresh_epoch():
    x, ids = ids_dataset(40)
    args = (x, ids, 16, CPU, (0.5,) * 3, (0.2,) * 3)
    loader = batches.DeviceLoader(*args, augment=True, seed=7)
    for _ in zip(range(1), loader):  # one batch of the first epoch, then stop
        pass
    loader.end_epoch()
    state = loader.state_dict()
    assert state["position"] == 0
    expected = epoch(loader)  # a new epoch, the second
    resumed = batches.DeviceLoader(*args, augment=True, seed=1)
    resumed.load_state_dict(state)
    assert loader.epoch == 2 and same(epoch(resumed), expected)


def test_forever_crosses_epochs():
    x, ids = ids_dataset(25)
    loader = batches.DeviceLoader(x, ids, 10, CPU, (0.5,) * 3, (0.2,) * 3)
    it = batches.forever(loader)
    ys = [next(it)[1] for _ in range(6)]  # 3 batches per epoch
    assert loader.epoch == 2 and sorted(torch.cat(ys[3:]).tolist()) == list(range(25))


def test_resize_is_block_mean():
    x, _ = ids_dataset(5, size=8)
    small = batches.resize(x, 2)
    oracle = x.double().reshape(5, 3, 2, 4, 2, 4).mean((3, 5)).round().to(torch.uint8)
    assert small.shape == (5, 3, 2, 2) and torch.equal(small, oracle)
    assert batches.resize(x, 8) is x


@pytest.mark.parametrize("call, match", [
    (lambda x, y: batches.DeviceLoader(x.float(), y, 4, CPU, (0,) * 3, (1,) * 3), "uint8 tensor"),
    (lambda x, y: batches.DeviceLoader(x[:, :1], y, 4, CPU, (0,) * 3, (1,) * 3), r"\(N, 3, H, W\)"),
    (lambda x, y: batches.DeviceLoader(x, y[:-1], 4, CPU, (0,) * 3, (1,) * 3), "shape"),
    (lambda x, y: batches.DeviceLoader(x, y, 0, CPU, (0,) * 3, (1,) * 3), "batch_size"),
    (lambda x, y: batches.DeviceLoader(x, y, 40, CPU, (0,) * 3, (1,) * 3, drop_last=True), "no batch"),
    (lambda x, y: batches.DeviceLoader(x, y, 4, CPU, (0,) * 3, (0,) * 3), "stds > 0"),
    (lambda x, y: batches.resize(x, 3), r"use one of \[1, 2, 4, 8\]"),
])
def test_bad_inputs_raise_value_error(call, match):
    x, y = ids_dataset(10)
    with pytest.raises(ValueError, match=match):
        call(x, y)


# ---------------------------------------------------------------- splits

def fake_dataset(n_train=300, n_test=120, size=32):
    g = torch.Generator().manual_seed(0)
    xtr = torch.randint(0, 256, (n_train, 3, size, size), generator=g, dtype=torch.uint8)
    xte = torch.randint(0, 256, (n_test, 3, size, size), generator=g, dtype=torch.uint8)
    mean, std = data.channel_stats(xtr)
    # labels are sample ids, so the tests can see which images each loader holds
    return data.Dataset(xtr, torch.arange(n_train), xte, torch.arange(n_test), ["x"], "fake", mean, std, "test")


def loader_ids(loader):
    return torch.cat([y for _, y in loader]).tolist()


def test_search_split_halves_disjoint():
    ds = fake_dataset()
    w, a = batches.search_split(ds, batch_size=32, device=CPU)
    iw, ia = loader_ids(w), loader_ids(a)
    assert sorted(iw) == list(range(150)) and sorted(ia) == list(range(150, 300))  # DARTS: by index
    assert w.augment and a.augment and w.padding == 4
    w2, a2 = batches.search_split(ds, batch_size=32, image_size=16, subset=101, device=CPU, seed=5)
    iw2, ia2 = loader_ids(w2), loader_ids(a2)
    assert len(iw2) == 50 and len(ia2) == 51 and not set(iw2) & set(ia2)
    assert next(iter(w2))[0].shape == (32, 3, 16, 16) and w2.padding == 2
    split = lambda seed: batches.search_split(ds, 32, 16, subset=101, device=CPU, seed=seed)  # noqa: E731
    (w3, a3), (w4, a4) = split(5), split(5)  # fresh loaders: same seed, same batches
    assert same(epoch(w3) + epoch(a3), epoch(w4) + epoch(a4))
    assert set(loader_ids(split(6)[0])) != set(iw2)
    with pytest.raises(ValueError, match=r"subset=301 must be an int in \[1, 300\]"):
        batches.search_split(ds, subset=301, device=CPU)


def test_loaders_for_preset_tiny_sizes():
    ds = fake_dataset(n_train=1100, n_test=1010)
    p = get_preset("tiny")
    train, val, test = batches.loaders_for_preset(p, device=CPU, seed=0, dataset=ds)
    assert len(train.labels) == len(val.labels) == p.search_images // 2
    assert len(test.labels) == p.test_images and not test.augment and not test.shuffle
    assert loader_ids(test) == list(range(p.test_images))  # the first test images, in order
    x, y = next(iter(train))
    assert x.shape == (p.batch_size, 3, p.image_size, p.image_size) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and x.device.type == "cpu"


def test_train_test_loaders():
    ds = fake_dataset()
    train, test = batches.train_test_loaders(ds, batch_size=50, image_size=8, subset=200, test_subset=30, device=CPU)
    assert len(train.labels) == 200 and train.augment and len(train) == 4 and train.padding == 1
    assert loader_ids(test) == list(range(30)) and next(iter(test))[0].shape == (30, 3, 8, 8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_batches_equal_cpu_batches():
    x, ids = ids_dataset(70)
    make = lambda dev: batches.DeviceLoader(x, ids, 32, dev, (0.5,) * 3, (0.2,) * 3, augment=True, seed=2)  # noqa: E731
    cpu, gpu = epoch(make("cpu")), [(a.cpu(), b.cpu()) for a, b in epoch(make("cuda"))]
    assert all(torch.equal(y1, y2) and torch.allclose(x1, x2) for (x1, y1), (x2, y2) in zip(cpu, gpu))
