"""ipywidgets for the lab notebooks."""

from medxtract_lab.widgets.tuner import ThresholdTuner

__all__ = ["ThresholdTuner"]
