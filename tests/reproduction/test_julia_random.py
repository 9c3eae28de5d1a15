"""The reference's random numbers, and the data-set constants drawn from them."""

import numpy as np
import pytest

from sklearn_ct.datasets._synthetic import _BLOB_CENTRES
from sklearn_ct.reproduction._julia_random import (
    julia_rand,
    reference_blob_centres,
    seed_state,
)


def test_julia_random_matches_julias_documented_stream():
    # Julia's docstring of Xoshiro: rand(Xoshiro(1234), 2).
    assert julia_rand(1234, 2).tolist() == [0.32597672886359486, 0.5490511363155669]
    # A seed of more than 32 bits hashes two words, not one.
    assert seed_state(2**32) != seed_state(0)
    for bad in (-1, 1.5, True, "42"):
        with pytest.raises(ValueError, match="seed"):
            seed_state(bad)
    with pytest.raises(ValueError, match="SIMD"):
        julia_rand(42, 8)


def test_blob_centres_are_the_references():
    # MLJBase: (10 - -10) .* rand(rng, 2, 2) .+ -10 after Random.seed!(42),
    # filled column by column; row c is the centre of class c.
    u = julia_rand(42, 4)
    expected = [[20 * u[0] - 10, 20 * u[2] - 10], [20 * u[1] - 10, 20 * u[3] - 10]]
    np.testing.assert_allclose(reference_blob_centres(), expected, rtol=1e-15)
    np.testing.assert_allclose(
        reference_blob_centres(), [[2.5869, -0.4519], [-0.9932, 4.0626]], atol=1e-4
    )


def test_the_blob_centres_of_the_data_sets_are_the_references_draw():
    # The data sets hold the centres as literals (nothing is drawn at import);
    # this is where they come from, to the last bit.
    np.testing.assert_array_equal(_BLOB_CENTRES, reference_blob_centres(42))
