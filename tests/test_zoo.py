import pytest
import torch

from course_utils import zoo


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    return tmp_path / "cache"


def test_digit_classifier_trains_caches_and_reloads(cache_dir, monkeypatch):
    model = zoo.digit_classifier(seed=3, epochs=1, device="cpu", progress=False)
    files = list(cache_dir.glob("*.pt"))
    assert [f.name for f in files] == ["lenet5_mnist5k_seed3_epochs1.pt"]
    assert not model.training

    def no_training(*args, **kwargs):
        raise AssertionError("should have loaded the cache")

    monkeypatch.setattr(zoo, "train_lenet5", no_training)
    again = zoo.digit_classifier(seed=3, epochs=1, device="cpu")
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)
    state = torch.load(files[0], weights_only=True)  # a plain state_dict
    assert set(state) == set(model.state_dict())


def test_corrupt_cache_is_retrained(cache_dir, capsys):
    cache_dir.mkdir(parents=True)
    (cache_dir / "lenet5_mnist5k_seed0_epochs1.pt").write_bytes(b"not a checkpoint")
    model = zoo.digit_classifier(seed=0, epochs=1, device="cpu", progress=False)
    assert "unusable" in capsys.readouterr().out
    assert sum(p.numel() for p in model.parameters()) == 61_706


def test_no_cache_writes_nothing(cache_dir):
    zoo.digit_classifier(seed=1, epochs=1, device="cpu", cache=False, progress=False)
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def test_train_lenet5_learns(cache_dir):
    from course_utils import data

    model, history = zoo.train_lenet5(data.load_digits(), epochs=2, device="cpu",
                                      progress=False)
    assert history.epochs == 2 and history.val_acc[-1] > 0.8


def test_digit_vgg_classifier_is_cached(cache_dir):
    model = zoo.digit_vgg_classifier(seed=0, epochs=1, device="cpu", progress=False)
    assert (cache_dir / "digit_vgg_mnist5k_seed0_epochs1.pt").is_file()
    again = zoo.digit_vgg_classifier(seed=0, epochs=1, device="cpu", progress=False)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 again.state_dict().values()))


def test_window_classifier_has_a_no_digit_class_and_is_cached(cache_dir):
    from course_utils import data

    model = zoo.window_classifier(seed=0, epochs=1, n_canvases=40, device="cpu", progress=False)
    assert (cache_dir / "window_lenet5_seed0_epochs1_canvases40.pt").is_file()
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, data.WINDOW_CLASSES) and not model.training
    again = zoo.window_classifier(seed=0, epochs=1, n_canvases=40, device="cpu", progress=False)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 again.state_dict().values()))
