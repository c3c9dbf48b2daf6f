import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils import train


def blobs(n=200, seed=0):
    """Two linearly separable classes in 2-D."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=gen)
    x = torch.randn(n, 2, generator=gen) * 0.5 + (y[:, None] * 2 - 1) * 2.0
    return x, y


def test_fit_learns_and_records_history():
    x, y = blobs()
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    hist = train.fit(model, (x, y), val_data=blobs(100, seed=1), epochs=5, lr=0.05,
                     progress=False, device="cpu")
    assert hist.epochs == 5 and len(hist.val_acc) == 5
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert hist.val_acc[-1] >= 0.95
    loss, acc = train.evaluate(model, blobs(100, seed=2), device="cpu")
    assert acc >= 0.95 and loss < 0.5


def test_fit_is_reproducible_with_a_seed():
    x, y = blobs()
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        train.fit(model, (x, y), epochs=2, progress=False, device="cpu", seed=3)
        results.append(model.weight.detach().clone())
    assert torch.equal(results[0], results[1])


def test_fit_accepts_dataloader_and_augment():
    x, y = blobs()
    calls = []

    def augment(batch):
        calls.append(len(batch))
        return batch

    loader = DataLoader(TensorDataset(x, y), batch_size=50)
    train.fit(nn.Linear(2, 2), loader, epochs=2, progress=False, device="cpu", augment=augment)
    assert calls == [50] * 8


def test_dense_targets_and_ignore_index():
    """Per-pixel classification: logits (N, C, H, W), targets (N, H, W) with void pixels."""
    x = torch.zeros(4, 1, 3, 3)
    y = torch.zeros(4, 3, 3, dtype=torch.int64)
    model = nn.Conv2d(1, 2, 1)
    with torch.no_grad():
        model.bias.copy_(torch.tensor([1.0, 0.0]))  # always predicts class 0
    _, acc = train.evaluate(model, (x, y), device="cpu")
    assert acc == 1.0
    y[:, 0, :] = 1  # a third of the pixels now wrong ...
    _, acc = train.evaluate(model, (x, y), device="cpu")
    assert acc == pytest.approx(2 / 3)
    y[:, 0, :] = 255  # ... or void, and then ignored
    _, acc = train.evaluate(model, (x, y), loss_fn=nn.CrossEntropyLoss(ignore_index=255),
                            device="cpu")
    assert acc == 1.0


def test_predict_batches_and_restores_mode():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train()
    x, _ = blobs(10)
    out = train.predict(model, x, batch_size=3, device="cpu")
    assert out.shape == (10, 2) and model.training
    model.eval()
    assert torch.allclose(out, model(x))


def test_bad_inputs_name_the_argument():
    x, y = blobs(10)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        train.fit("model", (x, y))
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        train.fit(nn.Linear(2, 2), (x, y), epochs=0)
    with pytest.raises(ValueError, match="same length; got 10 and 9"):
        train.fit(nn.Linear(2, 2), (x, y[:9]), progress=False)
    with pytest.raises(TypeError, match="inputs must be a floating-point tensor"):
        train.fit(nn.Linear(2, 2), (x.long(), y), progress=False)
    with pytest.raises(TypeError, match="DataLoader or a pair"):
        train.evaluate(nn.Linear(2, 2), x)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        train.fit(nn.Linear(2, 2), (x, y), batch_size=0, progress=False)
    with pytest.raises(ValueError, match="device must be one of"):
        train.fit(nn.Linear(2, 2), (x, y), device="gpu", progress=False)
    with pytest.raises(TypeError, match="x must be a floating-point torch.Tensor"):
        train.predict(nn.Linear(2, 2), x.long())


def test_extra_tensors_reach_the_loss():
    x, y = blobs(20)
    weights = torch.rand(20)
    seen = []

    def weighted(logits, target, w):
        seen.append(w.shape)
        return (nn.functional.cross_entropy(logits, target, reduction="none") * w).mean()

    train.fit(nn.Linear(2, 2), (x, y, weights), epochs=1, batch_size=5, loss_fn=weighted,
              progress=False, device="cpu")
    assert seen == [(5,)] * 4
    seen.clear()
    model = nn.Linear(2, 2)
    loss, acc = train.evaluate(model, (x, y, weights), loss_fn=weighted, device="cpu")
    with torch.no_grad():
        logits = model(x)
    assert seen and all(shape[0] <= 20 for shape in seen)  # the weights reached the loss
    assert acc == pytest.approx(float((logits.argmax(1) == y).float().mean()))
    assert loss == pytest.approx(float(weighted(logits, y, weights)), rel=1e-5)
    with pytest.raises(ValueError, match="same length; got 20 and 3"):
        train.fit(nn.Linear(2, 2), (x, y, weights[:3]), progress=False)


def test_fit_hands_the_model_back_in_the_usual_memory_layout():
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.Flatten(),
                                torch.nn.Linear(64, 2))
    x, y = torch.rand(8, 2, 6, 6), torch.randint(0, 2, (8,))  # 2 channels: the layouts differ
    train.fit(model, (x, y), epochs=1, batch_size=4, device="cpu", progress=False)
    weight = model[0].weight
    assert weight.is_contiguous() and not weight.is_contiguous(memory_format=torch.channels_last)
    lazy = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.Flatten(),
                               torch.nn.LazyLinear(2))
    train.fit(lazy, (x, y), epochs=1, batch_size=4, device="cpu", progress=False)  # layout kept
    assert lazy[2].weight.shape == (2, 64)
