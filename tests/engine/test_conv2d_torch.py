"""conv2d, pool2d and activate against PyTorch itself, where torch is installed (else skipped).

PyTorch is the definition the engine follows: ``torch.nn.Conv2d`` with its own ``padding``
(numbers, 'same', 'valid') and ``padding_mode``; TensorFlow's SAME, which torch lacks, as
``F.pad`` with TensorFlow's padding followed by a valid convolution; ``F.max_pool2d``,
``F.avg_pool2d`` and the activations. Torch runs in float64; the tolerance is that of
test_conv2d (rtol 1e-5 plus 1e-5 of Σ|w|·|x| + |b|).

    PYTHONPATH=src /path/to/venv-with-torch/bin/python -m pytest tests/engine/test_conv2d_torch.py
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import test_pooling
from hypothesis import given, settings
from test_conv2d import KERNELS, MODES, PADDINGS, layers, random_layer, reference_conv2d, refused

from convcli.engine.conv2d import conv2d
from convcli.engine.pooling import ACTIVATIONS, activate, pool2d

torch = pytest.importorskip("torch")
F = torch.nn.functional

#: torch warns that an even kernel with padding='same' costs a padded copy; that is expected.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

TORCH_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate"}
TORCH_PAD["circular"] = "circular"


def tf_same(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow SAME padding: output ceil(n/s), the extra sample after."""
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def torch_conv2d(x, weight, bias=None, *, stride, padding, padding_mode, dilation, groups):
    """The layer computed by PyTorch in float64, as a (C_out, H_out, W_out) array."""
    inputs = torch.from_numpy(x.astype(np.float64))[None]
    bank = torch.from_numpy(weight.astype(np.float64))
    if padding[0] == padding[1] in ("same", "valid") or all(isinstance(p, int) for p in padding):
        layer = torch.nn.Conv2d(
            x.shape[0],
            weight.shape[0],
            weight.shape[2:],
            stride=stride,
            padding=padding[0] if isinstance(padding[0], str) else padding,
            dilation=dilation,
            groups=groups,
            bias=bias is not None,
            padding_mode=padding_mode,
            dtype=torch.float64,
        )
        with torch.no_grad():
            layer.weight.copy_(bank)
            if bias is not None:
                layer.bias.copy_(torch.from_numpy(bias.astype(np.float64)))
            return layer(inputs)[0].numpy()
    # a form per axis, or TensorFlow's SAME: torch's F.pad, then a valid convolution
    pads: list[int] = []  # F.pad takes (left, right, top, bottom)
    for axis in (1, 0):
        n, k, p = x.shape[1 + axis], weight.shape[2 + axis], padding[axis]
        s, d = stride[axis], dilation[axis]
        if p == "tf-same":
            pads += tf_same(n, k, s, d)
        elif p == "same":  # as torch pads for 'same': d·(k − 1), the extra sample after
            pads += (d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
        else:
            pads += (0, 0) if p == "valid" else (p, p)
    padded = F.pad(inputs, pads, mode=TORCH_PAD[padding_mode])
    torch_bias = None if bias is None else torch.from_numpy(bias.astype(np.float64))
    out = F.conv2d(padded, bank, torch_bias, stride, 0, dilation, groups)
    return out[0].numpy()


def assert_matches_torch(x, weight, bias=None, **options) -> None:
    actual = conv2d(x, weight, bias, **options)
    expected = torch_conv2d(x, weight, bias, **options)
    scale = reference_conv2d(np.abs(x), np.abs(weight), **options)
    if bias is not None:
        scale += np.abs(bias.astype(np.float64))[:, None, None]
    assert actual.shape == expected.shape, options
    error = np.abs(actual - expected)
    assert np.all(error <= 1e-5 * np.abs(expected) + 1e-5 * scale), (options, error.max())


#: (stride, dilation, groups, kernel, bias): dense, two groups and depthwise on 4 channels
CONFIGURATIONS = [
    (1, 1, 1, KERNELS["odd"], True),
    (1, 2, 2, KERNELS["even"], False),
    (2, 1, 4, KERNELS["non-square"], True),
    (2, 2, 1, KERNELS["even"], True),
    (3, 1, 2, KERNELS["odd"], False),
    (3, 2, 4, KERNELS["odd"], True),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("form", PADDINGS)
def test_conv2d_matches_torch_for_every_padding_form_and_mode(form, mode):
    """Every padding form × mode, through six strides × dilations × groups × kernels."""
    rng = np.random.default_rng(21)
    for stride, dilation, groups, kernel, with_bias in CONFIGURATIONS:
        if form == "same" and stride != 1:
            continue
        x, weight, bias = random_layer(rng, 4, 4, groups, kernel, (7, 9), with_bias)
        assert_matches_torch(
            x,
            weight,
            bias,
            stride=(stride, stride),
            padding=PADDINGS[form],
            padding_mode=mode,
            dilation=(dilation, dilation),
            groups=groups,
        )


def test_conv2d_matches_torch_on_a_resnet_stem():
    """64 kernels of 7×7×3, stride 2, padding 3, on a 3×40×36 input with a bias."""
    rng = np.random.default_rng(22)
    x, weight, bias = random_layer(rng, 3, 64, 1, (7, 7), (40, 36), True)
    options = {"stride": (2, 2), "padding": (3, 3), "padding_mode": "zeros"}
    assert_matches_torch(x, weight, bias, dilation=(1, 1), groups=1, **options)


@settings(max_examples=50)
@given(layers())
def test_property_conv2d_matches_torch(layer):
    """Random small layers (those PyTorch accepts) agree with PyTorch."""
    (x, weight, bias), options = layer
    geometry = ("stride", "padding", "padding_mode", "dilation")
    if not refused(x.shape[1:], weight.shape[2:], *(options[name] for name in geometry)):
        assert_matches_torch(x, weight, bias, **options)


X = np.random.default_rng(23).standard_normal((3, 7, 9)).astype(np.float32)


@pytest.mark.parametrize(
    ("size", "stride", "padding"),
    list(itertools.product(test_pooling.KERNELS, test_pooling.STRIDES, test_pooling.PADDINGS)),
)
def test_pool2d_matches_torch(size, stride, padding):
    """max_pool2d and avg_pool2d, with and without ceil mode and count_include_pad."""
    inputs = torch.from_numpy(X.astype(np.float64))[None]
    for ceil_mode in (False, True):
        expected = F.max_pool2d(inputs, size, stride, padding, ceil_mode=ceil_mode)[0].numpy()
        actual = pool2d(X, "max", size, stride=stride, padding=padding, ceil_mode=ceil_mode)
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)
        for include in (True, False):
            expected = F.avg_pool2d(
                inputs, size, stride, padding, ceil_mode=ceil_mode, count_include_pad=include
            )[0].numpy()
            actual = pool2d(
                X,
                "avg",
                size,
                stride=stride,
                padding=padding,
                ceil_mode=ceil_mode,
                count_include_pad=include,
            )
            np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)


TORCH_ACTIVATIONS = {
    "relu": torch.relu,
    "leaky-relu": F.leaky_relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "abs": torch.abs,
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name):
    x = np.concatenate([X.ravel() * 10, [-800, -30, 0, 30, 800]]).astype(np.float32)
    expected = TORCH_ACTIVATIONS[name](torch.from_numpy(x.astype(np.float64))).numpy()
    np.testing.assert_allclose(activate(x, name), expected, rtol=1e-6, atol=0)
