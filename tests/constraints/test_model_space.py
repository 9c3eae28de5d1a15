"""The way from the user's columns to the model's and back (preprocessing, _layout)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
)

from sklearn_ct.constraints import _inverse, _layout, model_space


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, 200),
            "income": rng.lognormal(3, 0.5, 200),
            "grade": rng.choice(["low", "mid", "high"], 200),
            "city": rng.choice(["a", "b", "c", "d"], 200),
        }
    )


def _pre(**kwargs):
    return ColumnTransformer(
        [
            ("num", StandardScaler(), ["age"]),
            ("mm", MinMaxScaler(), ["income"]),
            ("ord", OrdinalEncoder(categories=[["low", "mid", "high"]]), ["grade"]),
            ("cat", OneHotEncoder(**kwargs), ["city"]),
        ]
    )


def _space(pre, frame):
    return model_space(make_pipeline(pre.fit(frame), "passthrough"), frame)


def test_layout_reads_sources_kinds_and_affine_maps(frame):
    pre = _pre(drop="first")
    space = _space(pre, frame)
    lay = space.layout
    assert lay.source.tolist() == [0, 1, 2, 3, 3, 3]
    assert lay.kind.tolist() == [
        "value",
        "value",
        "ordinal",
        "onehot",
        "onehot",
        "onehot",
    ]
    Z = pre.transform(frame)
    units = (Z - lay.offset) / lay.scale
    np.testing.assert_allclose(units[:, 0], frame["age"])
    np.testing.assert_allclose(units[:, 1], frame["income"])
    assert [(g.tolist(), d) for g, d in lay.groups] == [([3, 4, 5], 0)]  # "a" dropped


def test_restore_brings_back_units_levels_and_dtypes(frame):
    pre = _pre(drop="first")
    space = _space(pre, frame)
    Z = pre.transform(frame)
    back, in_input = space.restore(Z + 0.0, frame, Z)
    assert in_input and back.equals(frame)  # unchanged: the user's own values
    moved = Z.copy()
    moved[:, 0] += 1.0 / pre.named_transformers_["num"].scale_[0]  # one year older
    moved[:, 2] = 2  # grade "high"
    moved[:, 3:] = 0  # city: the dropped level "a"
    integer = np.zeros(Z.shape[1], dtype=bool)
    integer[0] = True
    back, _ = space.restore(moved, frame, Z, integer=integer)
    assert back["age"].dtype == frame["age"].dtype
    np.testing.assert_array_equal(back["age"], frame["age"] + 1)
    assert set(back["grade"]) == {"high"} and set(back["city"]) == {"a"}


def test_constraints_on_input_columns(frame):
    space = _space(_pre(), frame)
    Z = space.transform(frame)
    fc = space.resolve(
        frame,
        Z,
        mutability={"age": "increase", "city": "none"},
        domain={"age": (18, 99)},
    )
    assert fc.mutability.tolist() == ["increase", "both", "both"] + ["none"] * 4
    assert fc.integer.tolist() == [True, False, True] + [False] * 4  # age, codes
    scaler = space.head[0].named_transformers_["num"]
    np.testing.assert_allclose(
        [fc.low[0], fc.high[0]],
        (np.array([18, 99]) - scaler.mean_[0]) / scaler.scale_[0],
    )
    assert (fc.low[2], fc.high[2]) == (0.0, 2.0)  # ordinal codes stay valid codes


def test_a_negative_scale_flips_increase_and_decrease():
    from sklearn_ct.constraints import ModelSpace

    lay = _layout.identity(1)
    lay.scale[:], lay.offset[:] = -2.0, 1.0  # model = 1 - 2 * age
    space = ModelSpace(object(), None, ["age"], 1, ["z"], lay)
    Z = np.array([[1.0], [-1.0]])
    fc = space.resolve(
        np.array([[0.0], [1.0]]),
        Z,
        mutability={"age": "increase"},
        domain={"age": (0, 2)},
    )
    assert fc.mutability.tolist() == ["decrease"]
    assert (fc.low[0], fc.high[0]) == (-3.0, 1.0)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"mutability": {"city": "increase"}}, "only 'both' or 'none'"),
        ({"domain": {"city": (0, 1)}}, "affine steps"),
        ({"integer_features": ["income"]}, "not integers"),
        ({"mutability": {"town": "none"}}, "unknown feature 'town'"),
    ],
)
def test_constraint_errors_name_the_column(frame, spec, message):
    space = _space(_pre(), frame)
    with pytest.raises(ValueError, match=message):
        space.resolve(frame, space.transform(frame), **spec)


def test_non_affine_steps_keep_the_mapping_but_not_units(frame):
    pre = ColumnTransformer(
        [("pow", PowerTransformer(), ["income"]), ("rob", RobustScaler(), ["age"])]
    )
    space = _space(pre, frame)
    assert np.isnan(space.layout.scale[0]) and np.isfinite(space.layout.scale[1])
    Z = space.transform(frame)
    fc = space.resolve(frame, Z, mutability={"income": "none"})
    assert fc.mutability.tolist() == ["none", "both"]
    moved = Z.copy()
    moved[:, 0] += 0.5
    back, _ = space.restore(moved, frame, Z)
    expected = pre.named_transformers_["pow"].inverse_transform(moved[:, :1])[:, 0]
    np.testing.assert_allclose(back["income"], expected)


def test_an_unknown_step_keeps_results_in_model_space(frame):
    numbers = frame[["age", "income"]]
    pipe = make_pipeline(StandardScaler(), PCA(2), "passthrough").fit(numbers)
    space = model_space(pipe, numbers)
    assert space.layout is None and not space.invertible
    Z = space.transform(numbers)
    out, in_input = space.restore(Z + 1, numbers, Z)
    assert not in_input and list(out.columns) == ["pca0", "pca1"]


def test_layouts_pickle_without_closures(frame):
    import pickle

    space = _space(_pre(), frame)
    again = pickle.loads(pickle.dumps(space))
    Z = space.transform(frame)
    assert again.restore(Z, frame, Z)[0].equals(frame)


def test_inverse_of_nested_steps():
    X = np.arange(12, dtype=float).reshape(6, 2)
    pipe = make_pipeline(StandardScaler(), MinMaxScaler()).fit(X)
    np.testing.assert_allclose(
        _inverse.inverse(pipe, pipe.transform(X)).astype(float), X
    )
