import pytest
import torch

from course_utils import zoo


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    return tmp_path / "cache"


def same_weights(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))


def test_digit_classifier_trains_caches_and_reloads(cache_dir, monkeypatch, small_digits):
    model = zoo.digit_classifier(seed=3, epochs=1, device="cpu", progress=False,
                                 digits=small_digits)
    files = list(cache_dir.glob("*.pt"))
    assert [f.name for f in files] == [
        f"lenet5_{zoo.data_tag(small_digits)}_seed3_epochs1_r{zoo.RECIPE_VERSION}.pt"]
    assert not model.training

    def no_training(*args, **kwargs):
        raise AssertionError("should have loaded the cache")

    monkeypatch.setattr(zoo, "train_lenet5", no_training)
    again = zoo.digit_classifier(seed=3, epochs=1, device="cpu", digits=small_digits)
    assert same_weights(model, again)
    state = torch.load(files[0], weights_only=True)  # a plain state_dict
    assert set(state) == set(model.state_dict())


def test_the_default_data_has_its_own_cache_name(small_digits):
    assert zoo.data_tag(None) == zoo.EMBEDDED_TAG
    tag = zoo.data_tag(small_digits)
    assert tag != zoo.EMBEDDED_TAG and tag == zoo.data_tag(small_digits)
    other = type(small_digits)(small_digits.x_train.flip(-1), small_digits.y_train,
                               small_digits.x_test, small_digits.y_test, "flipped")
    assert zoo.data_tag(other) != tag


def test_corrupt_cache_is_retrained(cache_dir, capsys, small_digits):
    cache_dir.mkdir(parents=True)
    name = f"lenet5_{zoo.data_tag(small_digits)}_seed0_epochs1_r{zoo.RECIPE_VERSION}.pt"
    (cache_dir / name).write_bytes(b"not a checkpoint")
    model = zoo.digit_classifier(seed=0, epochs=1, device="cpu", progress=False,
                                 digits=small_digits)
    assert "unusable" in capsys.readouterr().out
    assert sum(p.numel() for p in model.parameters()) == 61_706
    assert torch.load(cache_dir / name, weights_only=True).keys() == model.state_dict().keys()


def test_no_cache_writes_nothing(cache_dir, small_digits):
    zoo.digit_classifier(seed=1, epochs=1, device="cpu", cache=False, progress=False,
                         digits=small_digits)
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def test_training_is_reproducible_and_seed_dependent(small_digits):
    def train(seed):
        return zoo.digit_classifier(seed=seed, epochs=1, device="cpu", cache=False,
                                    progress=False, digits=small_digits)

    assert same_weights(train(0), train(0)) and not same_weights(train(0), train(1))


@pytest.mark.slow
def test_train_lenet5_learns(digits):
    model, history = zoo.train_lenet5(digits, epochs=2, device="cpu", progress=False)
    assert history.epochs == 2 and history.val_acc[-1] > 0.8


def test_digit_vgg_classifier_is_cached(cache_dir, small_digits):
    model = zoo.digit_vgg_classifier(seed=0, epochs=1, device="cpu", progress=False,
                                     digits=small_digits)
    name = f"digit_vgg_{zoo.data_tag(small_digits)}_seed0_epochs1_r{zoo.RECIPE_VERSION}.pt"
    assert (cache_dir / name).is_file()
    again = zoo.digit_vgg_classifier(seed=0, epochs=1, device="cpu", progress=False,
                                     digits=small_digits)
    assert same_weights(model, again)


def test_window_classifier_has_a_no_digit_class_and_is_cached(cache_dir, small_digits):
    from course_utils import data

    model = zoo.window_classifier(seed=0, epochs=1, n_canvases=12, device="cpu",
                                  progress=False, digits=small_digits)
    name = (f"window_lenet5_seed0_epochs1_canvases12_{zoo.data_tag(small_digits)}"
            f"_r{zoo.RECIPE_VERSION}.pt")
    assert (cache_dir / name).is_file()
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, data.WINDOW_CLASSES) and not model.training
    again = zoo.window_classifier(seed=0, epochs=1, n_canvases=12, device="cpu",
                                  progress=False, digits=small_digits)
    assert same_weights(model, again)


@pytest.mark.parametrize("make", [
    lambda d: zoo.digit_classifier(seed=5, epochs=1, device="cpu", progress=False, digits=d),
    lambda d: zoo.digit_vgg_classifier(seed=5, epochs=1, device="cpu", progress=False, digits=d),
    lambda d: zoo.window_classifier(seed=5, epochs=1, n_canvases=8, device="cpu",
                                    progress=False, digits=d),
    lambda d: zoo.train_lenet5(d, epochs=1, seed=5, device="cpu", progress=False),
], ids=["digit_classifier", "digit_vgg_classifier", "window_classifier", "train_lenet5"])
def test_the_callers_random_stream_is_left_alone(make, cache_dir, small_digits):
    for _ in range(2):  # trained, then loaded from the cache
        torch.manual_seed(1234)
        expected = torch.rand(3)
        torch.manual_seed(1234)
        make(small_digits)
        assert torch.equal(torch.rand(3), expected)
