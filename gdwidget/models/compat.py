"""Is a validation objective the same model as the one being trained?"""

from __future__ import annotations

from typing import Any

from ..objectives.base import Objective
from .network import Model

__all__ = ["check_validation"]


def check_validation(objective: Objective, validation: Any) -> Objective | None:
    """``validation`` if it can be evaluated at the objective's parameters, else raise.

    Parameters
    ----------
    objective : Objective
        What is trained.
    validation : Objective or None
        The same model built on other data, such as
        ``gd.models.mlp(X_val, y_val, hidden=(8,))``.

    Returns
    -------
    Objective or None
        ``validation`` itself (``None`` stays ``None``).

    Raises
    ------
    ValueError
        If ``validation`` is not an objective, has another number of parameters, or is a
        model of another structure (:meth:`Model.structure`: kind, loss, activation and
        layer sizes), even with the same number of parameters: an MLP with hidden layers
        (4, 2) and one with (2, 4) both have 28 parameters on 2 features and 2 classes,
        but the same vector means different weights in each.
    """
    if validation is None:
        return None
    if not isinstance(validation, Objective):
        raise ValueError(
            "validation must be the same model built on the validation data, such as "
            f"gd.models.logistic_regression(X_val, y_val), got {validation!r}"
        )
    if validation.n_params != objective.n_params:
        raise ValueError(
            f"validation has {validation.n_params} parameters but the objective has "
            f"{objective.n_params}: build it with the same model and sizes"
            + _classes_hint(objective, validation)
        )
    if isinstance(objective, Model) or isinstance(validation, Model):
        mine, theirs = _structure(objective), _structure(validation)
        if mine != theirs:
            raise ValueError(
                f"validation is {_describe(theirs)} but the objective is {_describe(mine)}: "
                "build it with the same model and sizes" + _classes_hint(objective, validation)
            )
    return validation


def _structure(obj: Objective) -> tuple[Any, ...]:
    return obj.structure() if isinstance(obj, Model) else (type(obj).__name__,)


def _describe(structure: tuple[Any, ...]) -> str:
    if len(structure) == 1:
        return f"a {structure[0]}, not a model"
    kind, head, act, sizes = structure
    extra = f", {act}" if act is not None else ""
    return f"a {kind} (loss {head}{extra}, layer sizes {sizes})"


def _classes_hint(a: Objective, b: Objective) -> str:
    ka, kb = getattr(a, "n_classes", None), getattr(b, "n_classes", None)
    if ka is not None and kb is not None and ka != kb:
        return f" (it has {kb} classes and the objective {ka}: pass n_classes={ka})"
    return ""
