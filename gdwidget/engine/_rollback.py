"""Copies of optimizer states, so that the engine can undo a step that did not complete.

A state is a tree of dicts, lists and tuples whose leaves are arrays, numbers and
small objects such as :class:`gdwidget.backend.Random` (seeded generators).
"""

from __future__ import annotations

import copy
import types
from typing import Any

import numpy as np

_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), types.ModuleType)


def is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, _IMMUTABLE)


def n_elements(tree: Any) -> int:
    """How many array elements a state holds (what a copy of it costs)."""
    if isinstance(tree, dict):
        return sum(n_elements(v) for v in tree.values())
    if isinstance(tree, list | tuple):
        return sum(n_elements(v) for v in tree)
    if is_array(tree):
        size = 1
        for d in tree.shape:
            size *= int(d)
        return size
    return 0


def copy_tree(tree: Any) -> Any:
    """A copy of a state tree that shares nothing mutable with it."""
    kind = type(tree)
    if kind is dict:
        return {k: copy_tree(v) for k, v in tree.items()}
    if kind is np.ndarray:  # the common leaf first: this runs before every step
        return tree.copy()
    if kind is int or kind is float or isinstance(tree, _IMMUTABLE):
        return tree
    if isinstance(tree, list):
        return [copy_tree(v) for v in tree]
    if isinstance(tree, tuple):
        return tuple(copy_tree(v) for v in tree)
    if isinstance(tree, dict):
        return {k: copy_tree(v) for k, v in tree.items()}
    if is_array(tree):
        if hasattr(tree, "copy"):
            return tree.copy()
        from ..backend import namespace_of  # noqa: PLC0415

        return namespace_of(tree).asarray(tree, copy=True)
    return _copy_object(tree)


class Snapshots:
    """Cheap copies of one state tree whose structure stays fixed (the optimizers' states).

    The tree's leaves are listed once; :meth:`save` copies the leaves and :meth:`restore`
    puts them back into the same dicts and lists, so the optimizers' state dicts stay the
    objects the engine holds.
    """

    def __init__(self, tree: Any) -> None:
        self.leaves: list[tuple[Any, Any]] = []
        self._walk(tree)
        self.size = n_elements(tree)

    def _walk(self, tree: Any) -> None:
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, value in items:
            if isinstance(value, dict | list):
                self._walk(value)
            else:
                self.leaves.append((tree, key))

    def save(self) -> list[Any]:
        nd = np.ndarray
        out = []
        for c, k in self.leaves:
            v = c[k]
            kind = type(v)  # the common leaves first: this runs before every step
            out.append(v.copy() if kind is nd else v if kind is int else copy_tree(v))
        return out

    def restore(self, saved: list[Any]) -> None:
        for (c, k), v in zip(self.leaves, saved, strict=True):
            c[k] = v


def _copy_object(obj: Any) -> Any:
    """A copy of an object whose attributes other than modules are deep-copied
    (a :class:`~gdwidget.backend.Random` keeps its namespace and copies its generators;
    two attributes holding the same generator still share their copy)."""
    new = copy.copy(obj)
    memo: dict[int, Any] = {}
    for name, value in vars(obj).items():
        if not isinstance(value, _IMMUTABLE):
            setattr(new, name, copy.deepcopy(value, memo))
    return new
