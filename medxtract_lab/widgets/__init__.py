"""ipywidgets for the lab notebooks."""

from medxtract_lab.widgets.labeler import GroundTruthLabeler
from medxtract_lab.widgets.tuner import ThresholdTuner

__all__ = ["GroundTruthLabeler", "ThresholdTuner"]
