"""The chi-squared distribution ``Chi2(df)``, a gamma distribution."""

from ..printing import Size
from . import constraints
from .gamma import Gamma

__all__ = ["Chi2"]


class Chi2(Gamma):
    """``Gamma(df / 2, 1 / 2)``: the sum of ``df`` squared standard normals."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(Size(batch_shape), new)

    @property
    def df(self):
        """The degrees of freedom, twice the Gamma's concentration."""
        return self.concentration * 2
