"""The errors of ``torch._dynamo.exc`` that tinygrad_bn's ``compile`` can raise."""


class TorchDynamoException(RuntimeError):
    """The base of the compile errors, a ``RuntimeError`` as in PyTorch."""


class InvalidBackend(TorchDynamoException):
    """``compile(backend=name)`` with a name no backend is registered under."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for "
                         "available backends.")
