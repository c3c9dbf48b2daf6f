import random
import sys
import types

import numpy as np
import pytest
import torch

from course_utils import env


def test_auto_picks_cuda_only_when_available():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert env.get_device("auto").type == expected
    assert env.get_device(" AUTO ").type == expected


def test_cpu_is_always_available():
    assert env.get_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_gpu_raises_clearly():
    with pytest.raises(RuntimeError, match="device='cuda'.*no CUDA GPU"):
        env.get_device("cuda")


@pytest.mark.parametrize("bad", ["gpu", "tpu", "", "mps"])
def test_unknown_device_names_the_argument(bad):
    with pytest.raises(ValueError, match=r"device must be one of \('auto', 'cpu', 'cuda'\)"):
        env.get_device(bad)


def test_device_must_be_a_string():
    with pytest.raises(TypeError, match="device must be a string"):
        env.get_device(0)


def test_seed_everything_makes_all_generators_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    gen_a = env.seed_everything(123)
    first = draw(), torch.rand(1, generator=gen_a).item()
    gen_b = env.seed_everything(123)
    second = draw(), torch.rand(1, generator=gen_b).item()
    assert first == second
    env.seed_everything(124)
    assert draw() != first[0]


@pytest.mark.parametrize("bad, err", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                      ("0", TypeError), (True, TypeError)])
def test_seed_rejects_bad_values(bad, err):
    with pytest.raises(err, match="seed must be"):
        env.seed_everything(bad)


def test_in_colab_follows_the_google_colab_module(monkeypatch):
    assert env.in_colab() is False
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert env.in_colab() is True


def test_data_dir_honours_env_variable(tmp_path, monkeypatch):
    target = tmp_path / "downloads"
    monkeypatch.setenv("COURSE_DATA", str(target))
    assert env.data_dir() == target
    assert target.is_dir()


def test_data_dir_defaults_to_the_checkout_data_folder(monkeypatch, root):
    monkeypatch.delenv("COURSE_DATA", raising=False)
    assert env.data_dir() == root / "data"


def test_device_summary_mentions_device_and_torch():
    line = env.device_summary(torch.device("cpu"))
    assert "device=cpu" in line and torch.__version__ in line and "local" in line


def test_best_time_is_the_fastest_call(monkeypatch):
    ticks = iter([0.0, 0.5, 1.0, 1.1, 2.0, 2.5])  # three calls of 0.5, 0.1 and 0.5 s
    monkeypatch.setattr(env.time, "perf_counter", lambda: next(ticks))
    calls = []
    assert env.best_time(lambda: calls.append(1), 3) == pytest.approx(0.1)
    assert len(calls) == 3
    with pytest.raises(ValueError, match="repeats must be an int >= 1"):
        env.best_time(lambda: None, 0)
