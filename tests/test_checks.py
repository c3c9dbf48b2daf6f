import torch

from course_utils import checks, conv


def test_conv2d_checker_accepts_a_correct_solution():
    result = checks.conv2d(conv.conv2d_loops)
    assert result and result.passed and "PASS" in repr(result)


def test_conv2d_checker_reports_unfinished_stub_without_raising():
    def stub(image, kernel):
        raise NotImplementedError

    result = checks.conv2d(stub)
    assert not result and not result.solved and "not solved yet" in result.message
    assert "TODO" in repr(result) and "TODO" in result._repr_html_()


def test_conv2d_checker_hints():
    flipped = checks.conv2d(lambda i, k: conv.conv2d_loops(i, k.flip(0, 1)))
    assert not flipped and "flipped the kernel" in flipped.message
    assert "FAIL" in flipped._repr_html_() and "&#x27;" in flipped._repr_html_()  # escaped
    same_size = checks.conv2d(lambda i, k: torch.zeros_like(i))
    assert not same_size and "H - kh + 1" in same_size.message
    wrong = checks.conv2d(lambda i, k: conv.conv2d_loops(i, k) + 1)
    assert not wrong and "check the indices" in wrong.message
    crash = checks.conv2d(lambda i, k: i[100])
    assert not crash and "raised IndexError" in crash.message and crash.solved
    assert "expected a function" in checks.conv2d(42).message
    assert "missing `return`" in checks.conv2d(lambda i, k: None).message


def test_conv_parameters_checker():
    assert checks.conv_parameters(conv.conv_parameters)
    no_bias = checks.conv_parameters(lambda i, o, k: o * i * k * k)
    assert not no_bias and "bias" in no_bias.message
    flat = checks.conv_parameters(lambda i, o, k: o * (k * k + 1))
    assert not flat and "all input channels" in flat.message
    other = checks.conv_parameters(lambda i, o, k: 0)
    assert not other and "Hint" in other.message
