"""All parameters as one flat vector and back (``parameters_to_vector``,
``vector_to_parameters``), in the order given."""

from ...autograd import no_grad
from ...tensor import Tensor, cat


def parameters_to_vector(parameters):
    """The parameters flattened and joined into one 1-D tensor (in the graph: differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for p in parameters:
            size = p.numel()
            p.copy_(vec[offset:offset + size].reshape(p.shape))
            offset += size
