"""convcli.kernels.cache: library YAML files kept parsed between runs give exactly the kernels a
parse gives, are never used for a changed text, never keep kernels that name other kernels,
and a damaged or unwritable cache only costs the parse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convcli.kernels import builtin_folder, resolve_kernel
from convcli.kernels.cache import _kept, _store, library_yaml
from convcli.kernels.files import load_kernel_file
from convcli.places import cache_folder


def same_kernels(a, b) -> bool:
    """Equal in every field, weights included (kernels compare by identity otherwise)."""
    if type(a) is not type(b) or len(getattr(a, "parts", ())) != len(getattr(b, "parts", ())):
        return False
    for name in ("name", "description", "scale", "offset", "offset_relative", "source", "path"):
        if getattr(a, name) != getattr(b, name):
            return False
    if a.tags != b.tags or not isinstance(a.tags, tuple):
        return False
    if hasattr(a, "weights"):
        same = a.weights.dtype == b.weights.dtype and np.array_equal(a.weights, b.weights)
        return same and not a.weights.flags.writeable
    return a.combine == b.combine and all(map(same_kernels, a.parts, b.parts))


def kept_again(path: Path, source="built-in"):
    """The kernels of ``path`` as a later run reads them: from the cache file, not memory."""
    _kept.cache_clear()
    return library_yaml(path, source, resolve_kernel)


def stored() -> dict:
    return json.loads(_store().read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted(builtin_folder().glob("*.yaml")), ids=lambda p: p.stem)
def test_every_built_in_file_reads_back_as_it_parses(path):
    parsed = load_kernel_file(path, source="built-in", resolve=resolve_kernel)
    first, again = library_yaml(path, "built-in", resolve_kernel), kept_again(path)
    assert len(parsed) == len(first) == len(again)
    assert all(map(same_kernels, parsed, first)) and all(map(same_kernels, parsed, again))


def test_a_later_run_reads_the_kept_kernels_without_pyyaml(tmp_path):
    """The saving itself: the second process never imports PyYAML for ``sharpen``."""
    probe = (
        "import sys\nfrom convcli.kernels import resolve_kernel\n"
        "kernel = resolve_kernel('sharpen')\n"
        "print(kernel.weights.tolist(), 'yaml' in sys.modules)"
    )
    runs = [
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    weights = "[[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]"
    assert [run.stdout.split()[-1] for run in runs] == ["True", "False"]
    assert all(run.stdout.startswith(weights) for run in runs)


def test_the_kept_kernels_are_the_ones_read_when_the_text_is_the_same(user_kernels):
    """A guard against a cache that is never read: a kept entry, altered, is what comes back."""
    path = user_kernels / "mine.yaml"
    path.write_text("weights: [[1, 2], [3, 4]]\n", encoding="utf-8")
    library_yaml(path, "user library", resolve_kernel)
    entries = stored()
    (entry,) = entries.values()
    entry["kernels"][0]["weights"] = [[9.0]]
    _store().write_text(json.dumps(entries), encoding="utf-8")
    assert kept_again(path, "user library")[0].weights.tolist() == [[9.0]]


def test_a_changed_file_is_parsed_again_even_with_the_same_size_and_time(user_kernels):
    import os

    path = user_kernels / "mine.yaml"
    path.write_text("weights: [[1, 2], [3, 4]]\n", encoding="utf-8")
    stat = path.stat()
    assert library_yaml(path, "user library", resolve_kernel)[0].weights.tolist() == [
        [1, 2],
        [3, 4],
    ]
    path.write_text("weights: [[5, 6], [7, 8]]\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert kept_again(path, "user library")[0].weights.tolist() == [[5, 6], [7, 8]]


def test_kernels_that_name_other_kernels_are_never_kept(user_kernels):
    """``sobel`` combines ``sobel-x`` and ``sobel-y`` by name: a user's ``sobel-x`` changes it
    without its own file changing, so it is parsed every time."""
    sobel = builtin_folder() / "sobel.yaml"
    before = library_yaml(sobel, "built-in", resolve_kernel)[0]
    assert not any("sobel.yaml" in key for key in (stored() if _store().exists() else {}))
    (user_kernels / "sobel-x.txt").write_text("0 0 0\n0 7 0\n0 0 0\n", encoding="utf-8")
    after = kept_again(sobel)[0]
    assert before.parts[0].weights[1, 1] == 0 and after.parts[0].weights.tolist()[1][1] == 7


@pytest.mark.parametrize(
    "damage",
    ["not json", "[1, 2]", '{"built-in:x": 3}', "entry with bad weights"],
    ids=["not JSON", "not a mapping", "not an entry", "bad weights"],
)
def test_a_damaged_cache_only_costs_a_parse(damage):
    path = builtin_folder() / "box-3.yaml"
    expected = load_kernel_file(path, source="built-in", resolve=resolve_kernel)
    library_yaml(path, "built-in", resolve_kernel)
    if damage == "entry with bad weights":
        entries = stored()
        entries[f"built-in:{path}"]["kernels"][0]["weights"] = [["x"]]
        damage = json.dumps(entries)
    _store().write_text(damage, encoding="utf-8")
    assert all(map(same_kernels, expected, kept_again(path)))


def test_an_unwritable_cache_folder_only_costs_a_parse():
    cache_folder().parent.mkdir(parents=True, exist_ok=True)
    cache_folder().write_text("a file where the folder should be", encoding="utf-8")
    path = builtin_folder() / "sharpen.yaml"
    expected = load_kernel_file(path, source="built-in", resolve=resolve_kernel)
    assert all(map(same_kernels, expected, kept_again(path)))
    assert all(map(same_kernels, expected, kept_again(path)))


def test_a_broken_file_is_reported_as_a_parse_reports_it(user_kernels):
    from convcli.errors import KernelError

    path = user_kernels / "broken.yaml"
    path.write_text("weights: [[1, 2], [3]]\n", encoding="utf-8")
    with pytest.raises(KernelError) as direct:
        load_kernel_file(path, source="user library", resolve=resolve_kernel)
    with pytest.raises(KernelError) as kept:
        library_yaml(path, "user library", resolve_kernel)
    assert str(kept.value) == str(direct.value)
    assert not _store().exists() or not stored()
