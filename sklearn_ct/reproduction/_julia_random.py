"""The reference's random numbers: Julia's seeded Xoshiro256++ stream.

The paper's linearly separable and overlapping data sets are two Gaussian
blobs whose centres MLJBase's ``make_blobs`` drew once, with Julia's global
random number generator right after TaijaData called ``Random.seed!(42)``. A
fresh NumPy draw of "centres uniform in [-10, 10]^2" gives another data set,
so this module recomputes the reference's draw instead:

- ``Random.seed!(n)`` for an integer ``n >= 0`` (Julia 1.7 to 1.11, the
  reference ran 1.11.5) writes ``n`` as little-endian 32-bit words, hashes
  them with SHA-256 and takes the digest as the four 64-bit words of the
  state;
- each draw is one step of Xoshiro256++ (Blackman and Vigna,
  https://prng.di.unimi.it), and a ``Float64`` in [0, 1) is the draw's top
  53 bits times 2^-53. Julia fills arrays of fewer than 8 ``Float64`` with
  these draws one after the other; from 8 on it switches to interleaved
  SIMD streams, which this module does not reproduce.

Checked against Julia's documented example ``rand(Xoshiro(1234), 2) ==
[0.32597672886359486, 0.5490511363155669]``. The data sets hold the result as
literal constants (``sklearn_ct.datasets._synthetic._BLOB_CENTRES``);
``tests/reproduction/test_julia_random.py`` recomputes them here.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np

_MASK = (1 << 64) - 1
#: Julia's array ``rand!`` changes to SIMD streams from 64 bytes on.
_MAX_SEQUENTIAL = 7


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & _MASK


def seed_state(seed: int) -> list[int]:
    """The Xoshiro256++ state that Julia's ``Random.seed!(seed)`` sets."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}.")
    seed, words = int(seed), []
    while True:
        words.append(seed & 0xFFFFFFFF)
        seed >>= 32
        if seed == 0:
            break
    digest = hashlib.sha256(struct.pack(f"<{len(words)}I", *words)).digest()
    return list(struct.unpack("<4Q", digest))


def _next(state: list[int]) -> int:
    s0, s1, s2, s3 = state
    result = (_rotl((s0 + s3) & _MASK, 23) + s0) & _MASK
    t = (s1 << 17) & _MASK
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    state[:] = [s0, s1, s2, _rotl(s3, 45)]
    return result


def julia_rand(seed: int, n: int) -> np.ndarray:
    """Julia's ``Random.seed!(seed); rand(n)``: ``n`` Float64 draws in [0, 1).

    Parameters
    ----------
    seed : int
        A non-negative integer seed.
    n : int
        The number of draws, at most 7 (Julia's sequential array path).

    Returns
    -------
    ndarray of shape (n,)
        The draws in Julia's order (column-major for a matrix ``rand(r, c)``
        with ``r * c == n``).

    Examples
    --------
    >>> julia_rand(1234, 2).tolist()
    [0.32597672886359486, 0.5490511363155669]
    """
    if (
        isinstance(n, bool)
        or not isinstance(n, int | np.integer)
        or not (0 <= n <= _MAX_SEQUENTIAL)
    ):
        raise ValueError(
            f"n must be an integer in [0, {_MAX_SEQUENTIAL}] (Julia fills larger "
            f"arrays with SIMD streams, not reproduced here); got {n!r}."
        )
    state = seed_state(seed)
    return np.array([(_next(state) >> 11) * 2.0**-53 for _ in range(int(n))])


def reference_blob_centres(
    seed: int = 42, low: float = -10.0, high: float = 10.0
) -> np.ndarray:
    """The two blob centres of MLJBase's ``make_blobs(n, 2; centers=2)``.

    MLJBase draws the centres first, as ``(high - low) .* rand(rng, 2, 2)
    .+ low``; row ``c`` is the centre of class ``c`` (0-based here).

    Examples
    --------
    >>> reference_blob_centres().round(4).tolist()
    [[2.5869, -0.4519], [-0.9932, 4.0626]]
    """
    draws = julia_rand(seed, 4).reshape((2, 2), order="F")
    return (high - low) * draws + low
