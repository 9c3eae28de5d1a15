"""sklearn-ct: counterfactual training for scikit-learn.

Train classifiers whose counterfactual explanations are plausible and
actionable (Altmeyer, van Deursen and Liem, SaTML 2026), explain them with a
batched, constrained counterfactual search, and score explanations in
scikit-learn's model selection tools.
"""

from .explain import CounterfactualExplainer, CounterfactualResult
from .generators import (
    ECCCoGenerator,
    GenericGenerator,
    GravitationalGenerator,
    REVISEGenerator,
)
from .training import CounterfactualTrainingClassifier

__version__ = "0.1.0.dev0"

__all__ = [
    "CounterfactualExplainer",
    "CounterfactualResult",
    "CounterfactualTrainingClassifier",
    "ECCCoGenerator",
    "GenericGenerator",
    "GravitationalGenerator",
    "REVISEGenerator",
    "__version__",
]
