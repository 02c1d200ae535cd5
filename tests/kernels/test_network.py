"""Layers as data: weight banks in PyTorch's and TensorFlow's layouts, YAML networks, and the
option strings for padding, pooling and activations; every mistake a one-line error."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest

from convcli.errors import KernelError, UsageError
from convcli.kernels import resolve_kernel
from convcli.kernels.network import (
    Activation,
    Conv,
    Pool,
    bank_from_kernel,
    parse_activation,
    parse_network,
    parse_padding,
    parse_padding_mode,
    parse_pair,
    parse_pool,
    read_bank,
    with_bias,
)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_a_torch_bank_is_read_as_it_is_and_a_tf_bank_is_transposed():
    weight = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    assert np.array_equal(read_bank(npy(weight), "w.npy").weight, weight)
    tf = weight.transpose(2, 3, 1, 0)  # (kH, kW, C_in, C_out)
    assert np.array_equal(read_bank(npy(tf), "w.npy", "tf").weight, weight)


def test_a_three_axis_array_is_one_kernel_spanning_every_channel():
    bank = read_bank(npy(np.ones((3, 5, 5))), "k.npy")
    assert bank.weight.shape == (1, 3, 5, 5) and bank.names == ("map 0",)


def test_an_npz_bank_carries_its_bias():
    bank = read_bank(npz(weight=np.ones((4, 1, 3, 3)), bias=np.arange(4.0)), "b.npz")
    assert bank.bias is not None and bank.bias.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (npy(np.ones((3, 3))), "a bank is (C_out, C_in, kH, kW)"),
        (npy(np.array(["a"])), "must be numbers"),
        (npz(bias=np.ones(2)), "holds `weight`"),
        (npz(weight=np.ones((2, 1, 3, 3)), bias=np.ones(3)), "3 bias values for 2 kernels"),
        (npy(np.full((1, 1, 2, 2), np.nan)), "NaN"),
        (b"not an array", "not a readable .npy"),
    ],
)
def test_a_bad_bank_is_a_kernel_error_naming_the_file(data, fragment):
    with pytest.raises(KernelError, match="w.np") as caught:
        read_bank(data, "w.npy")
    assert fragment in str(caught.value)


def test_a_plain_kernel_is_a_bank_of_one_with_its_scale_applied():
    bank = bank_from_kernel(resolve_kernel("box-3"))  # type: ignore[arg-type]
    assert bank.weight.shape == (1, 1, 3, 3)
    np.testing.assert_allclose(bank.weight.sum(), 1.0, rtol=1e-6)


def test_a_bias_file_gives_one_value_per_kernel():
    bank = read_bank(npy(np.ones((2, 1, 1, 1))), "w.npy")
    assert with_bias(bank, npy(np.array([0.5, -1])), "b.npy").bias.tolist() == [0.5, -1]  # type: ignore[union-attr]
    with pytest.raises(KernelError, match="3 bias values for 2 kernels"):
        with_bias(bank, npy(np.ones(3)), "b.npy")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", (1, 1)), ("2,3", (2, 3)), ("same", ("same", "same")), ("TF-SAME", ("tf-same",) * 2),
     ("valid", ("valid", "valid")), ("0", (0, 0))],
)  # fmt: skip
def test_padding_is_a_number_a_pair_or_a_name(text, expected):
    assert parse_padding(text) == expected


@pytest.mark.parametrize("text", ["-1", "1,2,3", "half", ""])
def test_other_paddings_are_usage_errors(text):
    with pytest.raises(UsageError, match="`padding`"):
        parse_padding(text)


def test_pairs_modes_and_activations():
    assert parse_pair("3", "stride") == (3, 3) and parse_pair("1,2", "stride") == (1, 2)
    with pytest.raises(UsageError, match="`stride`"):
        parse_pair("0", "stride")
    assert parse_padding_mode("Reflect") == "reflect"
    with pytest.raises(UsageError, match="zeros, reflect, replicate, circular"):
        parse_padding_mode("mirror")
    assert parse_activation("relu") == Activation("relu")
    assert parse_activation("leaky-relu:0.2") == Activation("leaky-relu", 0.2)
    for wrong in ("gelu", "relu:2", "leaky-relu:x"):
        with pytest.raises(UsageError, match="`activation`"):
            parse_activation(wrong)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max:2", Pool("max", (2, 2))),
        ("avg:3,stride=2,padding=1", Pool("avg", (3, 3), (2, 2), (1, 1))),
        ("max:3x2,ceil", Pool("max", (3, 2), None, (0, 0), True)),
        ("avg:2,exclude-pad", Pool("avg", (2, 2), None, (0, 0), False, False)),
    ],
)
def test_pools_are_written_kind_size_and_settings(text, expected):
    assert parse_pool(text) == expected


@pytest.mark.parametrize("text", ["max", "min:2", "max:2,exclude-pad", "avg:2,stride", "max:0"])
def test_other_pools_are_usage_errors(text):
    with pytest.raises(UsageError, match="pool"):
        parse_pool(text)


NETWORK = """
layers:
  - conv:
      kernels:
        - name: vertical
          weights: "-1 0 1; -2 0 2; -1 0 1"
        - name: horizontal
          weights: sobel-y
        - weights: [[[1, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 1, 0], [0, 0, 0], [0, 0, 0]],
                    [[0, 0, 0], [1, 1, 1], [0, 0, 0]]]
      padding: same
      padding_mode: replicate
  - activation: leaky-relu:0.1
  - pool: avg:2,stride=1
"""


def test_a_network_file_lists_conv_activation_and_pool_steps(tmp_path):
    conv, activation, pool = parse_network(NETWORK, "net.yaml", tmp_path).steps
    assert isinstance(conv, Conv) and conv.padding == ("same", "same")
    assert conv.padding_mode == "replicate"
    assert conv.bank.names == ("vertical", "horizontal", "map 2")
    assert conv.bank.weight.shape == (3, 3, 3, 3)  # the 2-D kernels repeated for 3 channels
    assert np.array_equal(conv.bank.weight[1, 0], conv.bank.weight[1, 2])
    assert activation == Activation("leaky-relu", 0.1)
    assert pool == Pool("avg", (2, 2), (1, 1))


def test_kernels_of_different_shapes_cannot_share_a_layer(tmp_path):
    text = "layers:\n  - conv: {kernels: [{weights: sharpen}, {weights: box-5}]}\n"
    with pytest.raises(KernelError, match="share a shape"):
        parse_network(text, "net.yaml", tmp_path)


def test_a_network_reads_its_bank_files_next_to_it(tmp_path: Path):
    np.save(tmp_path / "bank.npy", np.ones((2, 3, 1, 1), np.float32))
    text = "layers:\n  - conv: {weights: bank.npy, bias: [1, 2], stride: 2}\n"
    (conv,) = parse_network(text, "n.yaml", tmp_path).steps
    assert isinstance(conv, Conv) and conv.stride == (2, 2)
    assert conv.bank.weight.shape == (2, 3, 1, 1) and conv.bank.bias.tolist() == [1, 2]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("layers: []", "a network file has `layers:`"),
        ("layers:\n  - dense: 3", "layer 1: unknown step 'dense'"),
        ("layers:\n  - conv: {weights: gone.npy}", "layer 1: cannot read"),
        ("layers:\n  - conv: {kernels: [{weights: sharpen}], stride: 0}", "layer 1: stride"),
        ("layers:\n  - pool: max", "layer 1: pool"),
        ("layers:\n  - conv: {kernels: [{weights: nope-kernel}]}", "layer 1, kernel 0: unknown"),
        ("layers:\n  - conv: {kernels: [{weights: sharpen}], size: 3}", "unknown conv setting"),
        ("layers: [\n", "not valid YAML"),
    ],
)
def test_network_mistakes_name_the_file_and_the_layer(tmp_path, text, fragment):
    with pytest.raises(KernelError, match="n.yaml") as caught:
        parse_network(text, "n.yaml", tmp_path)
    assert fragment in str(caught.value)
    assert not re.search(r"`[a-z_]+`", str(caught.value))  # a file's settings, not options
