"""Copies of optimizer states, so that the engine can undo a step that did not complete.

A state is a tree of dicts, lists and tuples whose leaves are arrays, numbers and
small objects such as :class:`gdwidget.backend.Random` (seeded generators).
"""

from __future__ import annotations

import copy
import types
import weakref
from typing import Any

import numpy as np

#: states up to this many numbers have their arrays in one buffer (the engine copies
#: states before each step up to ``stepping.ROLLBACK_MAX_ELEMENTS``, the same number)
HOME_MAX_ELEMENTS = 1_000_000

#: the buffers of live Snapshots: their views may move into a newer one's buffer
_BUFFERS: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()

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

    The NumPy arrays among the leaves that own their memory (of the most common dtype,
    each held once in the tree) are moved into one flat buffer at construction: each
    becomes a view of it with the same values, and a save copies them all at once. If a
    step puts another object in such a leaf's place, saving goes back to one leaf at a
    time.
    """

    def __init__(self, tree: Any) -> None:
        self.leaves: list[tuple[Any, Any]] = []
        self._walk(tree)
        self.size = n_elements(tree)
        self._flat: np.ndarray | None = None
        self._homed: list[tuple[Any, Any, np.ndarray]] = []  # (container, key, view)
        self._rest = self.leaves  # the leaves copied one at a time
        if self.size <= HOME_MAX_ELEMENTS:
            self._home()

    def _walk(self, tree: Any) -> None:
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, value in items:
            if isinstance(value, dict | list):
                self._walk(value)
            else:
                self.leaves.append((tree, key))

    def _home(self) -> None:
        counts: dict[int, int] = {}
        for c, k in self.leaves:
            counts[id(c[k])] = counts.get(id(c[k]), 0) + 1
        arrays = [
            (c, k)
            for c, k in self.leaves
            if type(c[k]) is np.ndarray
            and (c[k].base is None or _BUFFERS.get(id(c[k].base)) is c[k].base)
            and c[k].flags.c_contiguous
            and c[k].flags.writeable
            and c[k].size > 0
            and counts[id(c[k])] == 1
        ]
        if not arrays:
            return
        dtypes = [c[k].dtype for c, k in arrays]
        dtype = max(set(dtypes), key=dtypes.count)
        arrays = [(c, k) for c, k in arrays if c[k].dtype == dtype]
        flat = np.empty(sum(c[k].size for c, k in arrays), dtype=dtype)
        at = 0
        for c, k in arrays:
            a = c[k]
            view = flat[at : at + a.size].reshape(a.shape)
            view[...] = a
            c[k] = view
            self._homed.append((c, k, view))
            at += a.size
        self._flat = flat
        _BUFFERS[id(flat)] = flat
        moved = {(id(c), k) for c, k in arrays}
        self._rest = [(c, k) for c, k in self.leaves if (id(c), k) not in moved]

    def _unhome(self) -> None:
        self._flat, self._homed, self._rest = None, [], self.leaves

    def save(self) -> tuple[Any, ...]:
        """Copies of the leaves, for :meth:`restore`."""
        flat = None
        if self._flat is not None:
            for c, k, view in self._homed:
                if c[k] is not view:  # replaced by a step: one leaf at a time from now on
                    self._flat, self._homed, self._rest = None, [], self.leaves
                    break
            else:
                flat = self._flat.copy()
        nd = np.ndarray
        out = []
        for c, k in self._rest:
            v = c[k]
            kind = type(v)  # the common leaves first: this runs before every step
            out.append(v.copy() if kind is nd else v if kind is int else copy_tree(v))
        return flat, self._flat, self._homed, self._rest, out

    def restore(self, saved: tuple[Any, ...]) -> None:
        """Put the leaves of a :meth:`save` back (the buffer's views back in their places)."""
        flat, buffer, homed, leaves, values = saved
        if flat is not None:
            np.copyto(buffer, flat)
            for c, k, view in homed:
                c[k] = view
        for (c, k), v in zip(leaves, values, strict=True):
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
