"""Helpers the library shares; every module here is private.

* ``_compat``: the one home of the scikit-learn internals we rely on;
* ``_threads``: how many torch threads a fit, predict or explain runs on;
* ``_torch``: small torch helpers (a module's dtype and device, activations);
* ``_validation``: checks of ``explain``'s options.
"""

__all__: list[str] = []
