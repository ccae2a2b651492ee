"""``torch.autograd.anomaly_mode``, the module PyTorch programs import anomaly detection from
(``from torch.autograd.anomaly_mode import detect_anomaly``); it lives in ``grad_mode.py``."""

from .grad_mode import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
