"""Tests of sklearn_ct.datasets."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_ct.datasets import DATASETS, load_dataset

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SYNTHETIC = ("linearly_separable", "overlapping", "circles", "moons")
REAL = ("adult", "california_housing", "credit_default", "gmsc")
PROTECTED = {
    "linearly_separable": ["x1"],
    "overlapping": ["x1"],
    "circles": ["x1"],
    "moons": ["x1"],
    "adult": ["age"],
    "california_housing": ["HouseAge"],
    "credit_default": ["AGE"],
    "gmsc": ["age"],
    "digits": [f"pixel_{r}_{c}" for r in (0, 7) for c in range(8)],
}
N_ROWS = {
    "adult": 48832,
    "california_housing": 20630,
    "credit_default": 13272,
    "gmsc": 16714,
}


def _load(name, **kwargs):
    if name in REAL:
        if not SHARED_DATA.is_dir():
            pytest.skip(f"real data not available at {SHARED_DATA}")
        kwargs.setdefault("data_home", SHARED_DATA)
    return load_dataset(name, **kwargs)


def _check_split(ds, sizes=None):
    parts = [ds.train_index, ds.validation_index, ds.test_index]
    for part in parts:
        assert part.dtype == np.int64
    joined = np.concatenate(parts)
    assert len(np.unique(joined)) == len(joined), "split parts overlap"
    np.testing.assert_array_equal(np.sort(joined), np.arange(len(ds.target)))
    if sizes is not None:
        assert tuple(map(len, parts)) == sizes


def test_dataset_names():
    assert DATASETS == (
        "linearly_separable",
        "overlapping",
        "circles",
        "moons",
        "adult",
        "california_housing",
        "credit_default",
        "gmsc",
        "digits",
    )


@pytest.mark.parametrize("name", DATASETS)
def test_load_consistent_fields(name):
    ds = _load(name)
    n, d = ds.data.shape
    assert ds.name == name
    assert ds.data.dtype == np.float64
    assert ds.target.dtype == np.int64
    assert ds.target.shape == (n,)
    assert len(ds.feature_names) == d
    assert len(ds.mutability) == d
    assert set(ds.mutability) <= {"none", "both"}
    assert ds.protected_features == PROTECTED[name]
    frozen = [
        f for f, m in zip(ds.feature_names, ds.mutability, strict=True) if m == "none"
    ]
    assert frozen == PROTECTED[name]
    assert set(ds.categorical_features) <= set(ds.feature_names)
    np.testing.assert_array_equal(np.unique(ds.target), np.arange(len(ds.target_names)))
    assert ds.domain is None or len(ds.domain) == d
    assert ds.frame is None
    assert isinstance(ds.DESCR, str) and ds.DESCR
    _check_split(ds)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_default_shape_and_split(name):
    ds = load_dataset(name)
    assert ds.data.shape == (4500, 2)
    assert ds.feature_names == ["x1", "x2"]
    assert ds.mutability == ["none", "both"]
    assert np.bincount(ds.target).tolist() == [2250, 2250]
    # Rows are shuffled, not in class blocks.
    assert 0 < ds.target[:2250].sum() < 2250
    _check_split(ds, (3000, 600, 900))


@pytest.mark.parametrize(
    ("n_samples", "sizes"), [(900, (600, 120, 180)), (45, (30, 6, 9))]
)
def test_synthetic_n_samples_scales_split(n_samples, sizes):
    ds = load_dataset("moons", n_samples=n_samples)
    assert ds.data.shape == (n_samples, 2)
    _check_split(ds, sizes)


@pytest.mark.parametrize("name", [*SYNTHETIC, "digits", "gmsc"])
def test_random_state_reproducible(name):
    kwargs = {"n_samples": 600} if name == "gmsc" else {}
    default_a, default_b = _load(name, **kwargs), _load(name, **kwargs)
    np.testing.assert_array_equal(default_a.data, default_b.data)
    np.testing.assert_array_equal(default_a.train_index, default_b.train_index)
    seeded_a = _load(name, random_state=3, **kwargs)
    seeded_b = _load(name, random_state=3, **kwargs)
    np.testing.assert_array_equal(seeded_a.data, seeded_b.data)
    np.testing.assert_array_equal(seeded_a.validation_index, seeded_b.validation_index)
    other = _load(name, random_state=4, **kwargs)
    assert not (
        np.array_equal(seeded_a.data, other.data)
        and np.array_equal(seeded_a.validation_index, other.validation_index)
    )


@pytest.mark.parametrize(
    "random_state", [np.random.RandomState(0), np.random.default_rng(0)]
)
def test_random_state_objects(random_state):
    ds = load_dataset("circles", n_samples=100, random_state=random_state)
    assert ds.data.shape == (100, 2)


def test_default_does_not_touch_global_rng():
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    load_dataset("linearly_separable")
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def _class_means(ds):
    return np.array([ds.data[ds.target == k].mean(axis=0) for k in (0, 1)])


def test_linearly_separable_and_overlapping_share_centres():
    ls = load_dataset("ls", n_samples=20000)
    ol = load_dataset("ol", n_samples=20000)
    np.testing.assert_allclose(_class_means(ls), _class_means(ol), atol=0.1)
    assert np.all(np.abs(_class_means(ls)) <= 10.1)
    assert np.std(ls.data[ls.target == 0] - _class_means(ls)[0]) == pytest.approx(
        0.5, rel=0.05
    )
    assert np.std(ol.data[ol.target == 0] - _class_means(ol)[0]) == pytest.approx(
        2.0, rel=0.05
    )


def test_moons_geometry():
    ds = load_dataset("moons", n_samples=20000)
    means = _class_means(ds)
    # E[cos a] = 0 and E[sin a] = 2/pi for a ~ U(0, pi).
    np.testing.assert_allclose(means[0], [0.0, 2 / np.pi], atol=0.03)
    np.testing.assert_allclose(means[1], [1.0, 0.3 - 2 / np.pi], atol=0.03)


def test_circles_radii():
    ds = load_dataset("circles", n_samples=20000)
    radius = np.linalg.norm(ds.data, axis=1)
    assert np.linalg.norm(_class_means(ds)[0]) < 0.02
    assert np.median(radius[ds.target == 0]) < 0.3
    assert np.median(radius[ds.target == 1]) == pytest.approx(1.0, abs=0.05)


def test_digits_range_and_domain():
    ds = load_dataset("digits")
    assert ds.data.shape == (1797, 64)
    assert ds.data.min() == -1.0 and ds.data.max() == 1.0
    assert ds.domain == [(-1.0, 1.0)] * 64
    assert ds.feature_names[:2] == ["pixel_0_0", "pixel_0_1"]
    assert ds.feature_names[-1] == "pixel_7_7"
    assert len(ds.target_names) == 10
    _check_split(ds, (1294, 144, 359))


@pytest.mark.parametrize("name", REAL)
def test_real_split_follows_reference(name):
    ds = _load(name)
    n = N_ROWS[name]
    n_pool = round(0.8 * n)
    assert ds.data.shape[0] == n
    np.testing.assert_array_equal(ds.test_index, np.arange(n_pool, n))
    assert len(ds.validation_index) == 1000
    assert ds.validation_index.max() < n_pool
    _check_split(ds)
    # Stratified validation: the class ratio of the pool is kept.
    pool_ratio = ds.target[:n_pool].mean()
    assert ds.target[ds.validation_index].mean() == pytest.approx(pool_ratio, abs=0.002)


def test_real_n_samples_stratified_subsample():
    full = _load("adult")
    ds = _load("adult", n_samples=500)
    assert ds.data.shape == (500, 13)
    assert ds.target.mean() == pytest.approx(full.target.mean(), abs=0.002)
    _check_split(ds, (360, 40, 100))


def test_adult_as_frame_keeps_strings():
    ds = _load("adult", as_frame=True)
    assert isinstance(ds.data, pd.DataFrame)
    assert isinstance(ds.target, pd.Series) and ds.target.name == "target"
    assert list(ds.data.columns) == ds.feature_names
    assert ds.data["workclass"].iloc[0] == "Non-Private"
    assert set(ds.data["sex"]) == {"Female", "Male"}
    assert list(ds.frame.columns) == [*ds.feature_names, "target"]
    assert ds.frame.shape == (48832, 14)


def test_adult_array_has_categorical_codes():
    ds = _load("adult")
    assert ds.data.dtype == np.float64
    assert "sex" in ds.categorical_features and len(ds.categorical_features) == 7
    sex = ds.data[:, ds.feature_names.index("sex")]
    assert set(np.unique(sex)) == {0.0, 1.0}
    # Levels are sorted: "Female" -> 0, "Male" -> 1; the first row is a man.
    assert sex[0] == 1.0
    assert ds.data[0, ds.feature_names.index("age")] == 39.0


def test_credit_default_categoricals():
    ds = _load("credit_default")
    assert ds.categorical_features == ["SEX", "EDUCATION", "MARRIAGE"]


@pytest.mark.parametrize("name", ["moons", "digits"])
def test_as_frame_generated(name):
    ds = load_dataset(name, as_frame=True)
    assert isinstance(ds.data, pd.DataFrame)
    assert list(ds.data.columns) == ds.feature_names
    assert ds.frame.shape == (len(ds.target), len(ds.feature_names) + 1)


def test_data_home_argument_and_env_var(tmp_path, monkeypatch):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not available at {SHARED_DATA}")
    source = pd.read_csv(SHARED_DATA / "gmsc.csv", nrows=50)
    source.to_csv(tmp_path / "gmsc.csv", index=False)
    ds = load_dataset("gmsc", data_home=tmp_path)
    assert ds.data.shape == (50, 10)
    assert str(tmp_path) in ds.DESCR
    monkeypatch.setenv("SKLEARN_CT_DATA", str(tmp_path))
    assert load_dataset("gmsc").data.shape == (50, 10)
    # The argument wins over the environment variable.
    other = tmp_path / "other"
    other.mkdir()
    source.iloc[:30].to_csv(other / "gmsc.csv", index=False)
    assert load_dataset("gmsc", data_home=other).data.shape == (30, 10)


def test_missing_file_error_names_path(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError) as excinfo:
        load_dataset("adult", data_home=tmp_path)
    message = str(excinfo.value)
    assert str(tmp_path / "adult.csv") in message
    assert "SKLEARN_CT_DATA" in message and "data_home" in message
    monkeypatch.setenv("SKLEARN_CT_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_dataset("cred")


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("ls", "linearly_separable"),
        ("OL", "overlapping"),
        ("circ", "circles"),
        ("Moon", "moons"),
        ("mnist", "digits"),
        ("MOONS", "moons"),
    ],
)
def test_aliases(alias, name):
    assert load_dataset(alias, n_samples=60).name == name


@pytest.mark.parametrize(
    ("alias", "name"), [("ch", "california_housing"), ("cred", "credit_default")]
)
def test_real_aliases(alias, name):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not available at {SHARED_DATA}")
    assert load_dataset(alias, data_home=SHARED_DATA, n_samples=60).name == name


@pytest.mark.parametrize("name", ["iris", "", 3])
def test_unknown_name_raises(name):
    with pytest.raises(ValueError, match="linearly_separable"):
        load_dataset(name)


@pytest.mark.parametrize("n_samples", [0, -5, 10**9])
def test_bad_n_samples_raises(n_samples):
    with pytest.raises(ValueError, match="n_samples"):
        load_dataset("digits", n_samples=n_samples)
