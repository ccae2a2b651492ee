"""L-BFGS, PyTorch's port of minFunc: a quasi-Newton method that calls a closure to evaluate the
loss and gradient several times per ``step``, with an optional strong-Wolfe line search. Scalars
that PyTorch keeps as 0-d tensors (``t``, ``ro``, ``H_diag``, the directional derivatives) are
NumPy scalars of the parameters' dtype here, so that they round as PyTorch's do."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..autograd import enable_grad, no_grad
from ..autograd.graph import bump_versions
from ..tensor import Tensor
from .optimizer import Optimizer, Params, check_non_negative, scalar_value, silent_on_nonfinite


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes ``g1`` and
    ``g2``, clipped to ``bounds`` (default: between the two points); their midpoint when the
    cubic has no minimum. (PyTorch's and minFunc's ``polyinterp`` for two points.)"""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A step length ``t`` along ``d`` from the weights ``x`` (loss ``f``, gradient ``g``,
    directional derivative ``gtd``) satisfying the strong Wolfe conditions (sufficient decrease
    ``c1``, curvature ``c2``): bracket a minimum by growing ``t``, then zoom in on it by cubic
    interpolation, in at most ``max_ls`` evaluations of ``obj_func(x, t, d) -> (loss,
    gradient)``. Returns ``(loss, gradient, t, evaluations)``. PyTorch's code, step by step."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # bracketing phase
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # interpolate, extrapolating up to ten times the step
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:  # reached the maximum number of evaluations
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom phase: a point satisfying the conditions, or a bracket too small to refine
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # a point too near an end of the bracket makes little progress: move it inwards
        # (the second time running, or at or beyond an end)
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # not enough decrease: the new point becomes the high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True  # Wolfe conditions hold
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high end becomes the low end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """PyTorch's ``LBFGS`` (Nocedal and Wright, algorithms 7.4 and 7.5; PyTorch's port of
    minFunc). Each ``step(closure)`` runs up to ``max_iter`` iterations (``max_eval``
    evaluations of ``closure``, which must clear the gradients, compute the loss, call
    ``backward`` and return the loss): the direction is ``-H g``, with ``H`` the inverse
    Hessian estimated from the last ``history_size`` pairs of weight and gradient changes
    (two-loop recursion); the step is ``lr`` (the first ever ``min(1, 1 / sum|g|) * lr``) or,
    with ``line_search_fn="strong_wolfe"``, a step satisfying the strong Wolfe conditions. It
    stops early when ``max|g| <= tolerance_grad`` or the step or the loss changes by less than
    ``tolerance_change``. All parameters form one group, treated as one flat vector.

    State (on the first parameter, as PyTorch keeps it): ``func_evals``, ``n_iter``, ``d``,
    ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``,
    ``al``. Defaults ``lr=1``, ``max_iter=20``, ``max_eval=max_iter * 5 // 4``,
    ``tolerance_grad=1e-7``, ``tolerance_change=1e-9``, ``history_size=100``."""

    supports_sparse_gradients = True  # read as dense (_gather_flat_grad), as PyTorch's

    def __init__(self, params: Params, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        check_non_negative(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _gather_flat_grad(self):
        """Every parameter's gradient as one new flat vector (zeros for a None gradient)."""
        return np.concatenate([np.zeros(p._array.size, p._array.dtype) if p._grad is None
                               else p._grad.to_dense()._array.reshape(-1)
                               for p in self._params])

    def _add_grad(self, step_size, update):
        """``p += step_size * update`` for each parameter's slice of the flat ``update``."""
        offset = 0
        for p in self._params:
            size = p._array.size
            p._array += step_size * update[offset:offset + size].reshape(p._array.shape)
            offset += size
        bump_versions(self._params)

    def _directional_evaluate(self, closure, x, t, d):
        """Loss and flat gradient at the weights ``x + t * d``; the weights are ``x`` after."""
        self._add_grad(t, d)
        loss = _value(closure())
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x):
            p._array[...] = saved
        bump_versions(self._params)
        return loss, flat_grad

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Tensor]) -> Tensor:
        """Run up to ``max_iter`` L-BFGS iterations, calling ``closure`` (under grad mode) for the
        loss and gradients; returns the loss of its first call."""
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr, max_iter, max_eval = scalar_value(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = _value(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:  # already optimal
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # the descent direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only if the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                # two-loop recursion: d = -H g
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._array.copy() for p in self._params]

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    # the loss at the new weights (not on the last iteration: the next step
                    # evaluates it)
                    loss = _value(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    def _saved_state(self, p_state, group):
        """PyTorch's types: the direction, the gradient, the history vectors and the scalars
        kept as NumPy numbers (``ro``, ``al``, ``H_diag``, a line search's ``t``) are tensors,
        as PyTorch's are; all copies, so later steps leave them alone."""
        return _as_tensors(p_state)

    def _restored_state(self, p, key, values):
        """The state holds flat vectors, not arrays of the parameters' shapes: restored as
        saved (copied, tensors as arrays)."""
        return _as_arrays(values)


def _value(loss):
    """The loss as a Python float. (Through ``detach``: PyTorch's ``float`` of a tensor that
    requires grad does not warn under ``no_grad``, where the step runs; ours would.)"""
    return float(loss.detach() if isinstance(loss, Tensor) else loss)


def _as_tensors(value):
    """A copy of ``value`` with every array and NumPy number (in lists and dicts too) a
    tensor (of the same dtype, 0-d for a number)."""
    if isinstance(value, Tensor):
        return Tensor(np.array(value._array))
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor(np.array(value))
    if isinstance(value, list):
        return [_as_tensors(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_tensors(v) for k, v in value.items()}
    return value


def _as_arrays(value):
    """A copy of ``value`` with every tensor (in lists and dicts too) an array (the state's own
    form)."""
    if isinstance(value, Tensor):
        return np.array(value._array)
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_as_arrays(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_arrays(v) for k, v in value.items()}
    return value
