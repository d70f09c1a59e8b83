"""The loss heads of a dense network: per-example losses, their derivatives and curvature.

A mixin of :class:`~gdwidget.models.network.Model`: it reads ``self.head``
(``"mse"``, ``"bce"`` or ``"ce"``) and ``self.layer_sizes``; ``z`` are the logits
``(R, B, K)``.
"""

from __future__ import annotations

from typing import Any

from ._arrays import _astype

__all__ = ["Heads"]


class Heads:
    """Per-example loss ``(R, B)``, its derivative and curvature wrt the logits."""

    head: str
    layer_sizes: Any

    def _onehot(self, y: Any, xp: Any, dtype: Any) -> Any:
        k = self.layer_sizes[-1]
        return _astype(xp, xp.reshape(y, (*y.shape, 1)) == xp.arange(k), dtype)

    def _head(self, z: Any, y: Any, xp: Any, need_loss: bool = True) -> tuple[Any, Any]:
        """Per-example loss ``(R, B)`` and its derivative wrt the logits ``(R, B, K)``.

        ``y`` is ``(B,)`` (shared by all runs) or ``(R, B)`` (sampled per run).
        """
        if self.head == "mse":
            r = z[..., 0] - y
            return (r * r if need_loss else None), xp.reshape(2 * r, z.shape)
        if self.head == "bce":
            z0 = z[..., 0]
            p = xp.exp(-xp.logaddexp(0, -z0))  # sigmoid, stable both ways
            loss = xp.logaddexp(0, z0) - y * z0 if need_loss else None
            return loss, xp.reshape(p - y, z.shape)
        m = xp.max(z, axis=-1, keepdims=True)
        zs = z - m
        e = xp.exp(zs)
        s = xp.sum(e, axis=-1, keepdims=True)
        onehot = self._onehot(y, xp, z.dtype)
        loss = None
        if need_loss:
            logp = zs - xp.log(s)
            loss = -xp.sum(logp * onehot, axis=-1)
        return loss, e / s - onehot

    def _probs(self, z: Any, xp: Any) -> Any:
        """Predicted distribution: ``P(y=1)`` ``(R, B)`` for bce, softmax ``(R, B, K)`` for ce."""
        if self.head == "bce":
            return xp.exp(-xp.logaddexp(0, -z[..., 0]))
        m = xp.max(z, axis=-1, keepdims=True)
        e = xp.exp(z - m)
        return e / xp.sum(e, axis=-1, keepdims=True)

    def _curvature(self, z: Any, du: Any, xp: Any) -> Any:
        """Second derivative of the per-example loss wrt the logits, applied to ``du``."""
        if self.head == "mse":
            return 2 * du
        p = self._probs(z, xp)
        if self.head == "bce":
            return xp.reshape(p * (1 - p), du.shape) * du
        pdu = p * du
        return pdu - p * xp.sum(pdu, axis=-1, keepdims=True)
