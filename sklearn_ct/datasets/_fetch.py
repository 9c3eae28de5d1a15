"""Where the real data sets' files come from: a local folder, else a download.

:func:`data_file` returns the path of one of the four real tabular data sets'
CSV files, or of ``mnist.npz`` (MNIST, see ``_mnist``).
It looks in the local folder named by the ``data_home`` argument, else by
the environment variable ``SKLEARN_CT_DATA``; a file found there is used as
it is. Otherwise it looks in the download cache (``data_home`` when given,
else a ``sklearn_ct`` folder in scikit-learn's data home,
:func:`sklearn.datasets.get_data_home`), where a file is used when its
SHA-256 is the one of :data:`SHA256` (the sum of the paper's file for the CSV
files). Otherwise the file is downloaded with pooch into that cache, its sum
checked; a file whose sum differs is refused and not kept. Nothing is looked
for beside the checkout: a development setup names its data folder with
``SKLEARN_CT_DATA`` (the tests do so for ``../shared/data``).

The environment variable ``SKLEARN_CT_DATA_URL`` names a mirror serving the
files as ``<base URL>/<file name>``. Without it the public sources are used:
CARLA's cf-data repository for ``adult.csv`` (whose copy keeps the rows with a
missing value that the paper's file drops, so they are dropped before the
check), the ``data-tabular`` artifact of CounterfactualExplanations.jl for the
other three CSV files, and the copy of MNIST that Keras downloads for
``mnist.npz``. The sum expected of ``mnist.npz`` is the one Keras checks for
that file (``keras/src/datasets/mnist.py``; other projects pin the same sum);
it was not verified here by a download, as the machines that build this
project reach no download site.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

DATA_ENV = "SKLEARN_CT_DATA"
URL_ENV = "SKLEARN_CT_DATA_URL"
_CACHE_SUBFOLDER = "sklearn_ct"
_TIMEOUT_S = 60

# SHA-256 of the paper's files, and of mnist.npz.
SHA256 = MappingProxyType(
    {
        "adult.csv": "e98ef37848b34919802d9e110718dd02ccbc8ec0369677f92bb1fd40b71eccdc",
        "cal_housing.csv": (
            "7777da56fae024f8a0cd2eb014c8f03b75a0eae591376828e38ff21156be4aef"
        ),
        "credit_default.csv": (
            "9105fb70f002f4963426b16a229e35f5cd118d2613b9e90e72139e065c8c1380"
        ),
        "gmsc.csv": "e00a2463dcceb90a0ac6ea37044750f417ebe62f51380a9bc75d6e08fd43e0f4",
        # Not the paper's file: the sum Keras checks for its mnist.npz, taken
        # from Keras's source and not verified here by a download.
        "mnist.npz": (
            "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
        ),
    }
)


@dataclass(frozen=True)
class _Source:
    """Where a file is downloaded from.

    ``url`` is the file itself, or a tar archive holding it when
    ``archive_sha256`` (the archive's SHA-256) is set. ``drop_incomplete_rows``
    removes the rows with an empty field before the file's sum is checked.
    """

    url: str
    archive_sha256: str | None = None
    drop_incomplete_rows: bool = False


_CARLA_ADULT = "https://raw.githubusercontent.com/carla-recourse/cf-data/main/adult.csv"
# MNIST as one NumPy archive (x_train, y_train, x_test, y_test), as Keras gets it.
_KERAS_MNIST = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# Artifacts.toml of CounterfactualExplanations.jl, entry "data-tabular".
_TABULAR_ARTIFACT = _Source(
    "https://github.com/JuliaTrustworthyAI/CounterfactualExplanations.jl/"
    "releases/download/artifacts-1.8/data-tabular.tar.gz",
    archive_sha256="f18b5a4dfdcc32c39e760e803b09f0c033d875e75afabea91fb41952a1c6b4d3",
)
SOURCES = MappingProxyType(
    {
        "adult.csv": _Source(_CARLA_ADULT, drop_incomplete_rows=True),
        "cal_housing.csv": _TABULAR_ARTIFACT,
        "credit_default.csv": _TABULAR_ARTIFACT,
        "gmsc.csv": _TABULAR_ARTIFACT,
        "mnist.npz": _Source(_KERAS_MNIST),
    }
)


def _local_folder(data_home: str | os.PathLike | None) -> Path | None:
    """The folder named by ``data_home``, else by ``SKLEARN_CT_DATA``, or None."""
    if data_home is not None:
        return Path(data_home).expanduser()
    from_env = os.environ.get(DATA_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return None


def _cache_folder(data_home: str | os.PathLike | None) -> Path:
    if data_home is not None:
        return Path(data_home).expanduser()
    from sklearn.datasets import get_data_home

    return Path(get_data_home()) / _CACHE_SUBFOLDER


def _source(filename: str) -> _Source:
    mirror = os.environ.get(URL_ENV)
    if mirror:
        return _Source(f"{mirror.rstrip('/')}/{filename}")
    return SOURCES[filename]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_sha256(path: Path, filename: str, url: str) -> None:
    """Delete ``path`` and raise if its sum is not the expected one."""
    found = _sha256(path)
    if found != SHA256[filename]:
        path.unlink()
        raise ValueError(
            f"The downloaded {filename} (from {url}) is not the expected file: "
            f"its SHA-256 is {found}, expected {SHA256[filename]}. It was not "
            "kept. The source may have changed; put the right file in the data "
            f"folder by hand or point {URL_ENV} at a mirror that serves it."
        )


def _drop_incomplete_rows(path: Path) -> None:
    """Rewrite the CSV file at ``path`` without its rows that have an empty field."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    complete = table[(table != "").all(axis=1)]
    complete.to_csv(path, index=False, lineterminator="\n")


def _extract(
    filename: str, source: _Source, cache: Path, into: str, downloader: Callable
) -> Path:
    """Return ``filename`` extracted from the (cached) archive into ``cache/into``."""
    import pooch

    try:
        members = pooch.retrieve(
            source.url,
            known_hash=f"sha256:{source.archive_sha256}",
            fname=source.url.rsplit("/", 1)[-1],
            path=cache,
            processor=pooch.Untar(extract_dir=into),
            downloader=downloader,
        )
    except ValueError as exc:
        raise ValueError(
            f"The archive holding {filename}, downloaded from {source.url}, failed "
            f"its SHA-256 check and was not kept: {exc}"
        ) from exc
    found = [Path(member) for member in members if Path(member).name == filename]
    if not found:
        raise FileNotFoundError(f"the archive {source.url} holds no {filename}")
    return found[0]


def _download(filename: str, source: _Source, cache: Path) -> Path:
    """Download ``filename`` into ``cache``; the file appears only once checked."""
    import pooch

    downloader = pooch.HTTPDownloader(progressbar=False, timeout=_TIMEOUT_S)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=cache) as staging:
        if source.archive_sha256 is None:
            path = Path(staging) / filename
            downloader(source.url, str(path), None)
            if source.drop_incomplete_rows:
                _drop_incomplete_rows(path)
        else:
            # A folder that does not exist yet, so the archive is extracted.
            into = f"{Path(staging).name}/archive"
            path = _extract(filename, source, cache, into, downloader)
        _check_sha256(path, filename, source.url)
        os.replace(path, cache / filename)
    return cache / filename


def _not_found(
    filename: str, searched: list[Path], source: _Source, error: OSError
) -> str:
    places = "\n".join(f"  {folder / filename}" for folder in searched)
    archive = " (an archive holding it)" if source.archive_sha256 else ""
    return (
        f"Data file not found: {filename}\n"
        f"It was looked for at\n{places}\n"
        f"and downloading it from {source.url}{archive} failed: {error}\n"
        f"Put {filename} by hand into {searched[0]}, or into a folder passed as "
        f"load_dataset(..., data_home=FOLDER) or named by the environment "
        f"variable {DATA_ENV}=FOLDER; or set {URL_ENV} to a mirror serving "
        f"<mirror>/{filename}."
    )


def data_file(filename: str, data_home: str | os.PathLike | None = None) -> Path:
    """Return the path of a real data set's file, downloading it if needed.

    Parameters
    ----------
    filename : str
        One of the keys of :data:`SHA256`, e.g. ``"gmsc.csv"``.
    data_home : str or path-like, default=None
        Folder looked in first and, when given, the download cache; None:
        the folder named by ``SKLEARN_CT_DATA``, if any, then the cache in
        scikit-learn's data home.

    Returns
    -------
    path : pathlib.Path
        The local file: found in the local folder (used as it is), or in the
        cache, or just downloaded there (SHA-256 checked).

    Raises
    ------
    FileNotFoundError
        If the file is not local and cannot be downloaded; the message names
        the places looked at, the URL tried and where to put the file.
    ValueError
        If a downloaded file's SHA-256 differs from the expected one.
    """
    local = _local_folder(data_home)
    if local is not None and (local / filename).is_file():
        return local / filename
    cache = _cache_folder(data_home)
    cached = cache / filename
    if cache != local and cached.is_file() and _sha256(cached) == SHA256[filename]:
        return cached
    source = _source(filename)
    try:
        return _download(filename, source, cache)
    except OSError as exc:  # requests' errors are OSErrors too
        searched = [folder for folder in (local, cache) if folder is not None]
        if len(searched) == 2 and searched[0] == searched[1]:
            searched = searched[:1]
        raise FileNotFoundError(_not_found(filename, searched, source, exc)) from exc
