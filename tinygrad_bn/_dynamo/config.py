"""``torch._dynamo.config``: the settings programs write before compiling (``suppress_errors``,
``cache_size_limit``, ``optimize_ddp``, ...), with PyTorch's defaults.

There is no compiler here (see ``eval_frame``), so no setting changes what a compiled function
computes; they are kept so that the programs which set and read them run. As in PyTorch, the
module holds only these names: reading or writing another raises ``AttributeError``
(``torch._dynamo.config.no_such_setting does not exist``), which catches a misspelt setting.
"""

import sys
import types

suppress_errors = False
verbose = False
cache_size_limit = 8
recompile_limit = 8
accumulated_cache_size_limit = 256
accumulated_recompile_limit = 256
optimize_ddp = True
capture_scalar_outputs = False
capture_dynamic_output_shape_ops = False
automatic_dynamic_shapes = True
assume_static_by_default = True
specialize_int = False
force_parameter_static_shapes = True


class _ConfigModule(types.ModuleType):
    """This module's class: setting a name it does not have is refused, as PyTorch's config
    modules refuse it."""

    def __setattr__(self, name, value):
        if name not in self.__dict__:
            raise AttributeError(f"torch._dynamo.config.{name} does not exist")
        super().__setattr__(name, value)

    def __getattr__(self, name):  # only reached for names the module lacks
        raise AttributeError(f"torch._dynamo.config.{name} does not exist")


sys.modules[__name__].__class__ = _ConfigModule
