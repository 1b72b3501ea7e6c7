"""Maximum likelihood in log-parameter space, shared by the BG/NBD and Gamma-Gamma fits.

Every parameter of both models is positive, so the optimiser works on ``theta = log(params)``
(no bounds needed) with the analytic gradient. Standard errors come from the inverse of the
observed information (a central-difference Hessian of the analytic gradient) and are mapped back
to natural units by the delta method: ``se(param) = param * se(log param)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from data.errors import ToolError

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

#: A log-parameter beyond this (a parameter above e^25 or below e^-25) means the fit ran away.
LOG_PARAM_LIMIT = 25.0
#: The optimiser's box in log space, a little wider than the limit so a runaway is seen as one.
LOG_PARAM_BOUND = 30.0


@dataclass(frozen=True)
class MleResult:
    """The optimum in natural units, with its log-likelihood and how the optimiser got there."""

    params: FloatArray
    log_likelihood: float
    converged: bool
    iterations: int
    message: str
    std_errors: FloatArray


def maximise(model: str, objective: Objective, start: FloatArray, *, max_iterations: int = 500) -> MleResult:
    """Maximise a log-likelihood given as ``objective(theta) -> (-ll, -grad)`` over log params.

    Raises:
        ToolError: when the optimiser does not converge or a parameter runs off to 0 or infinity.
    """
    theta0 = np.log(start)
    # L-BFGS-B's small dense algebra gains nothing from BLAS threads, and on a busy machine their
    # spin-waiting made a 5 ms fit take 400 ms: run the whole fit on one BLAS thread.
    with threadpool_limits(limits=1, user_api="blas"):
        return _maximise(model, objective, theta0, max_iterations)


def _maximise(model: str, objective: Objective, theta0: FloatArray, max_iterations: int) -> MleResult:
    with np.errstate(all="ignore"):
        result = minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_PARAM_BOUND, LOG_PARAM_BOUND)] * theta0.size,
            options={"maxiter": max_iterations, "maxfun": 4 * max_iterations, "ftol": 1e-13, "gtol": 1e-7},
        )
    theta = np.asarray(result.x, dtype=np.float64)
    value = float(result.fun)
    if not np.isfinite(value) or not np.all(np.isfinite(theta)):
        raise ToolError(f"the {model} fit failed (the likelihood is not finite): check the input data")
    if np.any(np.abs(theta) > LOG_PARAM_LIMIT):
        raise ToolError(
            f"the {model} fit did not converge: a parameter ran off to 0 or infinity; the data do not "
            "identify the model (too few customers or repeat purchases, or no variation between them)"
        )
    if not result.success:
        _, grad = objective(theta)
        if float(np.max(np.abs(grad))) > 1e-3 * max(1.0, abs(value)):
            raise ToolError(
                f"the {model} fit did not converge after {int(result.nit)} iterations "
                f"({result.message}); give more data or allow more iterations"
            )
    params = np.exp(theta)
    return MleResult(
        params=params,
        log_likelihood=-value,
        converged=True,
        iterations=int(result.nit),
        message=str(result.message),
        std_errors=params * _log_std_errors(objective, theta),
    )


def _log_std_errors(objective: Objective, theta: FloatArray) -> FloatArray:
    """Standard errors of the log parameters from a central-difference Hessian; NaN-free."""
    k = theta.size
    hessian = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(float(theta[j])))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        hessian[:, j] = (objective(up)[1] - objective(down)[1]) / (2.0 * step)
    hessian = 0.5 * (hessian + hessian.T)
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full(k, np.inf)
    variance = np.diag(covariance)
    return np.where(np.isfinite(variance) & (variance > 0), np.sqrt(np.abs(variance)), np.inf)
