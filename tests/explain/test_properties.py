"""Property tests: no returned counterfactual ever breaks a constraint.

Hypothesis draws data layouts (continuous, integer-valued and one-hot
columns; two or three classes), models (LogisticRegression, MLPClassifier,
CounterfactualTrainingClassifier "vanilla" and "full"), generators and every
constraint option of the explainer, and checks what ``explain`` promises:
every counterfactual obeys mutability, the domain box, integer grids and
one-hot groups; ``valid`` is the estimator's prediction of exactly the
returned rows; nothing is NaN; immutable features come back bit for bit;
``status`` agrees with ``valid`` and ``predicted``. The same for a
``make_pipeline(ColumnTransformer(...), CounterfactualTrainingClassifier)``
on string categories, and for :func:`~sklearn_ct.constraints.project` alone.

Fitted models are cached per drawn layout (a module-scoped fixture), so many
examples share a few cheap fits. The default run draws about 20 examples per
property (derandomized: the same examples every run); ``-m slow`` runs the
same properties with 10,000 examples in all, freshly random.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.constraints import FeatureConstraints, project
from sklearn_ct.explain._costs import feature_membership
from sklearn_ct.explain._result import STATUSES
from sklearn_ct.generators import GravitationalGenerator, REVISEGenerator
from sklearn_ct.pipeline import make_pipeline

MUTABILITY = ("both", "increase", "decrease", "none")
MODELS = ("logistic", "mlp", "ct_vanilla", "ct_full")
N_TRAIN, N_TEST = 90, 30
#: Examples per property: the default run, and the slow run (10,000 in all).
DEFAULT_EXAMPLES = {"project": 25, "explain": 20, "pipeline": 15}
SLOW_EXAMPLES = {"project": 2000, "explain": 6000, "pipeline": 2000}


def _run_property(check, strategy, max_examples, slow=False):
    """Run ``check`` on ``max_examples`` examples drawn from ``strategy``."""

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=not slow,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def run(case):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tiny fits and boxes warn, by design
            check(case)

    run()


# --------------------------------------------------------------------------
# Data: continuous, integer-valued and one-hot columns, K classes
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """Columns ``[continuous | integer | one-hot groups]`` of a synthetic data set."""

    n_continuous: int
    n_integer: int
    group_sizes: tuple
    n_classes: int
    seed: int
    string_labels: bool

    @property
    def n_features(self):
        return self.n_continuous + self.n_integer + sum(self.group_sizes)

    @property
    def integer_columns(self):
        return list(range(self.n_continuous, self.n_continuous + self.n_integer))

    @property
    def groups(self):
        start, out = self.n_continuous + self.n_integer, []
        for size in self.group_sizes:
            out.append(list(range(start, start + size)))
            start += size
        return out

    @property
    def classes(self):
        labels = np.arange(self.n_classes)
        return np.array([f"c{k}" for k in labels]) if self.string_labels else labels


def make_data(layout, part):
    """``(X, y)`` of one part (0: training, 1: held out) of a layout's data set."""
    shape = np.random.default_rng(layout.seed)  # the class structure
    rows = np.random.default_rng([layout.seed, part])
    n, k = (N_TRAIN, N_TEST)[part], layout.n_classes
    y = rows.permutation(np.arange(n) % k)
    centres = shape.normal(0, 1.5, (k, layout.n_continuous + layout.n_integer))
    blocks = [
        centres[y, : layout.n_continuous] + rows.normal(0, 1, (n, layout.n_continuous))
    ]
    blocks.append(
        np.round(
            2 * centres[y, layout.n_continuous :]
            + rows.normal(0, 1.5, (n, layout.n_integer))
        )
    )
    for size in layout.group_sizes:
        logits = shape.normal(0, 1.5, (k, size))
        p = np.exp(logits[y]) / np.exp(logits[y]).sum(axis=1, keepdims=True)
        level = (p.cumsum(axis=1) < rows.random((n, 1))).sum(axis=1)
        level[:size] = np.arange(size)  # every level occurs in every part
        blocks.append(np.eye(size)[level])
    return np.hstack(blocks), layout.classes[y]


@st.composite
def layouts(draw):
    n_continuous = draw(st.integers(1, 3))
    n_integer = draw(st.integers(0, 2))
    sizes, room = [], 6 - n_continuous - n_integer
    while len(sizes) < 2 and room >= 2 and draw(st.booleans()):
        sizes.append(draw(st.integers(2, min(3, room))))
        room -= sizes[-1]
    if n_continuous + n_integer + sum(sizes) < 2:
        n_integer += 1
    return Layout(
        n_continuous,
        n_integer,
        tuple(sizes),
        draw(st.sampled_from([2, 3])),
        draw(st.integers(0, 2)),
        draw(st.booleans()),
    )


def fit_model(layout, kind):
    """A quickly fitted model of one kind on a layout's training data."""
    X, y = make_data(layout, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "logistic":
            return LogisticRegression(max_iter=300).fit(X, y)
        if kind == "mlp":
            return MLPClassifier((8,), max_iter=60, random_state=layout.seed).fit(X, y)
        return CounterfactualTrainingClassifier(
            objective=kind.removeprefix("ct_"),
            hidden_layer_sizes=(8,),
            max_epochs=2,
            n_counterfactuals=24,
            max_iter_cf=5,
            batch_size=32,
            lr=0.05,
            categorical_groups=layout.groups or None,
            random_state=layout.seed,
        ).fit(X, y)


@pytest.fixture(scope="module")
def fitted():
    """Fitted models by (layout, kind), fitted on first use."""
    cache = {}

    def get(layout, kind):
        if (layout, kind) not in cache:
            cache[layout, kind] = fit_model(layout, kind)
        return cache[layout, kind]

    return get


# --------------------------------------------------------------------------
# Explainer options
# --------------------------------------------------------------------------
@st.composite
def mutability_specs(draw, n_features, groups):
    """Per feature both/increase/decrease/none; a one-hot group all none or all both."""
    in_group = {k for g in groups for k in g}
    values = [
        None if k in in_group else draw(st.sampled_from(MUTABILITY))
        for k in range(n_features)
    ]
    for group in groups:
        value = draw(st.sampled_from(["both", "none"]))
        for k in group:
            values[k] = value
    form = draw(st.sampled_from(["list", "dict", "none", "string"]))
    if form == "list":
        return values
    if form == "dict":
        return {k: v for k, v in enumerate(values) if v != "both"}
    if form == "string":
        return draw(st.sampled_from(["both", "none"]))
    return None


def _pair(draw, low, high):
    """A (low, high) pair that holds [low, high], possibly open on one side."""
    margin = st.floats(0, 2, allow_nan=False)
    lo, hi = low - draw(margin), high + draw(margin)
    side = draw(st.sampled_from(["both", "low", "high", "open"]))
    return (
        lo if side in ("both", "low") else None,
        hi if side in ("both", "high") else None,
    )


@st.composite
def domain_specs(draw, X):
    """infer, observed, None, or boxes holding ``X`` (per feature, one for all, a dict).

    A list leaves features without a pair unbounded; a dict infers their box.
    """
    low, high = X.min(axis=0), X.max(axis=0)
    form = draw(st.sampled_from(["infer", "observed", "none", "pairs", "one", "dict"]))
    if form in ("infer", "observed"):
        return form
    if form == "none":
        return None
    if form == "one":
        return _pair(draw, low.min(), high.max())
    pairs = [
        _pair(draw, lo, hi) if draw(st.booleans()) else None
        for lo, hi in zip(low, high, strict=True)
    ]
    if form == "pairs":
        return pairs
    return {k: p for k, p in enumerate(pairs) if p is not None}


def generators(name):
    """A generator by name; REVISE with a tiny VAE."""
    if name == "revise":
        return REVISEGenerator(max_epochs=2)
    if name == "gravitational":
        return GravitationalGenerator(n_samples=10)
    return name


def targets(draw, classes, n):
    form = draw(st.sampled_from(["none", "one", "each"]))
    if form == "none":
        return None
    if form == "one":
        return draw(st.sampled_from(list(classes)))
    return np.asarray(
        draw(st.lists(st.sampled_from(list(classes)), min_size=n, max_size=n)),
        dtype=object,
    )


@dataclass(frozen=True)
class Case:
    """One drawn explanation problem."""

    data: object  # a Layout, or a Table for pipelines
    model: str
    params: dict
    rows: list
    target: object
    sparsify: bool
    n_per_factual: int


def _rows(draw, n_max):
    return draw(st.lists(st.integers(0, n_max - 1), min_size=1, max_size=6))


def _search_params(draw):
    return {
        "refine": draw(st.booleans()),
        "max_iter": draw(st.sampled_from([5, 30, 100])),
        "step_size": draw(st.sampled_from([0.1, 1.0])),
        "decision_threshold": draw(st.sampled_from([0.5, 0.75, None])),
        "fallback": draw(st.booleans()),
    }


@st.composite
def explain_cases(draw):
    layout = draw(layouts())
    X, _ = make_data(layout, 0)
    integer = layout.integer_columns
    params = {
        "generator": generators(
            draw(st.sampled_from(["generic", "ecco", "gravitational", "revise"]))
        ),
        "mutability": draw(mutability_specs(layout.n_features, layout.groups)),
        "domain": draw(domain_specs(X)),
        "integer_features": draw(
            st.sampled_from(
                ["auto", None, "all", "some"] if integer else ["auto", None]
            )
        ),
        "categorical_groups": (layout.groups or None) if draw(st.booleans()) else None,
        **_search_params(draw),
    }
    if params["integer_features"] in ("all", "some"):
        params["integer_features"] = (
            integer if params["integer_features"] == "all" else integer[:1]
        )
    return Case(
        layout,
        draw(st.sampled_from(MODELS)),
        params,
        _rows(draw, N_TEST),
        targets(draw, layout.classes, 6),
        draw(st.booleans()),
        draw(st.integers(1, 3)),
    )


# --------------------------------------------------------------------------
# What every result must satisfy
# --------------------------------------------------------------------------
def check_result(result, explainer, predict, n_factuals, n_per_factual, target):
    """Constraints, validity, finiteness, immutability and status of a result."""
    # Up to n_per_factual options each: a dominated option is replaced or
    # dropped, never every option of a factual.
    counts = np.bincount(result.factual_index, minlength=n_factuals)
    assert len(counts) == n_factuals
    assert (counts >= 1).all() and (counts <= n_per_factual).all()
    np.testing.assert_array_equal(
        result.factual_index, np.repeat(np.arange(n_factuals), counts)
    )
    Z, Z_cf = result.model_factuals, result.model_counterfactuals
    for name in ("model_counterfactuals", "p_target", "adversarial"):
        assert np.isfinite(getattr(result, name)).all(), name
    bad = explainer.constraints_.violations(Z_cf, Z)
    assert not bad.any(), (
        f"constraints broken in rows {np.flatnonzero(bad).tolist()}: factuals "
        f"{Z[bad > 0].tolist()}, counterfactuals {Z_cf[bad > 0].tolist()}"
    )
    frozen = explainer.constraints_.mutability == "none"
    assert (Z_cf[:, frozen] == Z[:, frozen]).all(), "an immutable feature moved"
    # valid is the estimator's prediction of exactly the rows returned.
    np.testing.assert_array_equal(
        result.valid, predict(result.counterfactuals) == result.target
    )
    if target is not None:
        expected = np.broadcast_to(np.asarray(target, dtype=object), (n_factuals,))
        np.testing.assert_array_equal(
            result.target.astype(object), expected[result.factual_index]
        )
    else:
        assert (result.target != result.predicted).all()
    already = result.predicted == result.target
    assert (Z_cf[already] == Z[already]).all(), "a factual already in the target moved"
    # "no recourse found" says what was searched (the gradient steps first).
    assert result.searched.startswith(f"in {explainer.max_iter} gradient steps")
    status = np.where(
        already,
        STATUSES[2],
        np.where(result.valid, STATUSES[0], f"{STATUSES[1]} {result.searched}"),
    )
    np.testing.assert_array_equal(result.status, status)
    assert result.valid[already].all()
    assert result.valid[result.converged].all(), "converged but not valid"


def check_explanation(fitted, case):
    layout = case.data
    estimator = fitted(layout, case.model)
    X, y = make_data(layout, 0)
    X_test, _ = make_data(layout, 1)
    factuals = X_test[case.rows]
    target = case.target
    if isinstance(target, np.ndarray):  # one label per factual (six drawn)
        target = target[: len(factuals)]
    explainer = CounterfactualExplainer(estimator, random_state=0, **case.params).fit(
        X, y
    )
    result = explainer.explain(
        factuals, target, sparsify=case.sparsify, n_per_factual=case.n_per_factual
    )
    assert isinstance(result.counterfactuals, np.ndarray)
    np.testing.assert_array_equal(result.counterfactuals, result.model_counterfactuals)
    np.testing.assert_array_equal(
        result.predicted, estimator.predict(factuals)[result.factual_index]
    )
    check_result(
        result, explainer, estimator.predict, len(factuals), case.n_per_factual, target
    )


def test_explanations_keep_every_constraint_and_promise(fitted):
    _run_property(
        lambda case: check_explanation(fitted, case),
        explain_cases(),
        DEFAULT_EXAMPLES["explain"],
    )


# --------------------------------------------------------------------------
# Pipelines on string categories
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A data frame layout: float, integer and string columns; how it is modelled."""

    layout: Layout  # numeric columns; group_sizes are the string columns' levels
    drop: object  # OneHotEncoder's drop
    protect: bool  # the classifier itself keeps the first column of each kind fixed
    domain: str  # the classifier's own domain

    @property
    def numeric(self):
        return [f"x{k}" for k in range(self.layout.n_continuous)] + [
            f"n{k}" for k in range(self.layout.n_integer)
        ]

    @property
    def categorical(self):
        return [f"cat{k}" for k in range(len(self.layout.group_sizes))]

    def own_mutability(self):
        if not self.protect:
            return None
        return {name: "none" for name in (self.numeric[:1] + self.categorical[:1])}


def make_frame(table, part):
    """The layout's data as a user has it: integers as ints, categories as strings."""
    X, y = make_data(table.layout, part)
    lay = table.layout
    frame = pd.DataFrame(
        X[:, : lay.n_continuous + lay.n_integer], columns=table.numeric
    )
    for name in table.numeric[lay.n_continuous :]:
        frame[name] = frame[name].astype(np.int64)
    for name, group in zip(table.categorical, lay.groups, strict=True):
        frame[name] = np.array([f"{name}_{k}" for k in range(len(group))])[
            X[:, group].argmax(axis=1)
        ]
    return frame, y


@st.composite
def tables(draw):
    layout = draw(layouts())
    if not layout.group_sizes:  # at least one string column
        layout = Layout(
            layout.n_continuous,
            layout.n_integer,
            (2,),
            layout.n_classes,
            layout.seed,
            layout.string_labels,
        )
    return Table(
        layout,
        draw(st.sampled_from([None, "first", "if_binary"])),
        draw(st.booleans()),
        draw(st.sampled_from(["infer", "observed"])),
    )


def fit_pipeline(table):
    X, y = make_frame(table, 0)
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), table.numeric),
            (
                "cat",
                OneHotEncoder(drop=table.drop, sparse_output=False),
                table.categorical,
            ),
        ]
    )
    clf = CounterfactualTrainingClassifier(
        hidden_layer_sizes=(8,),
        max_epochs=2,
        n_counterfactuals=24,
        max_iter_cf=5,
        batch_size=32,
        lr=0.05,
        mutability=table.own_mutability(),
        domain=table.domain,
        random_state=table.layout.seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_pipeline(pre, clf).fit(X, y)


@pytest.fixture(scope="module")
def fitted_pipelines():
    """Fitted pipelines by table, fitted on first use."""
    cache = {}

    def get(table):
        if table not in cache:
            cache[table] = fit_pipeline(table)
        return cache[table]

    return get


@st.composite
def pipeline_cases(draw):
    table = draw(tables())
    X, _ = make_frame(table, 0)
    params = _search_params(draw)
    if draw(st.booleans()):  # the pipeline's own explain: the classifier's constraints
        params.update(generator=draw(st.sampled_from(["generic", "ecco"])))
        own = True
    else:  # an explainer adding constraints on the input columns
        mutability = {name: draw(st.sampled_from(MUTABILITY)) for name in table.numeric}
        mutability.update(
            {
                name: draw(st.sampled_from(["both", "none"]))
                for name in table.categorical
            }
        )
        domain = draw(st.sampled_from(["infer", "observed", None, "pairs"]))
        if domain == "pairs":
            domain = {
                name: _pair(draw, X[name].min(), X[name].max())
                for name in table.numeric
                if draw(st.booleans())
            }
        params.update(
            generator=generators(
                draw(st.sampled_from(["generic", "ecco", "gravitational", "revise"]))
            ),
            mutability=mutability,
            domain=domain,
            integer_features=draw(st.sampled_from(["auto", None])),
        )
        own = False
    return Case(
        table,
        "own" if own else "explainer",
        params,
        _rows(draw, N_TEST),
        targets(draw, table.layout.classes, 6),
        draw(st.booleans()),
        draw(st.integers(1, 3)),
    )


def check_pipeline_explanation(fitted_pipelines, case):
    table = case.data
    pipe = fitted_pipelines(table)
    X, y = make_frame(table, 0)
    X_test, _ = make_frame(table, 1)
    factuals = X_test.iloc[case.rows]
    target = case.target
    if isinstance(target, np.ndarray):
        target = target[: len(factuals)]
    explain = {"sparsify": case.sparsify, "n_per_factual": case.n_per_factual}
    if case.model == "own":
        result = pipe.explain(factuals, target, **explain, **case.params)
        explainer = pipe[-1]._explainer(pipe, factuals, case.params)
        mutability = table.own_mutability() or {}
    else:
        explainer = CounterfactualExplainer(pipe, random_state=0, **case.params).fit(
            X, y
        )
        result = explainer.explain(factuals, target, **explain)
        mutability = {**case.params["mutability"], **(table.own_mutability() or {})}
    check_result(
        result, explainer, pipe.predict, len(factuals), case.n_per_factual, target
    )
    cf = result.counterfactuals
    repeated = factuals.iloc[result.factual_index]
    assert list(cf.columns) == list(X.columns)
    for name in table.categorical:  # known levels only
        assert set(cf[name]) <= set(X[name]), name
    for name in table.numeric:
        assert np.isfinite(cf[name].to_numpy(dtype=float)).all(), name
    for name in table.numeric[table.layout.n_continuous :]:  # integers stay integers
        assert cf[name].dtype == X[name].dtype, name
    for name, value in mutability.items():  # immutable columns unchanged, bit for bit
        if value == "none":
            np.testing.assert_array_equal(
                cf[name].to_numpy(), repeated[name].to_numpy(), err_msg=name
            )
    np.testing.assert_allclose(result.model_counterfactuals, pipe[0].transform(cf))


def test_pipeline_explanations_keep_columns_levels_and_constraints(fitted_pipelines):
    _run_property(
        lambda case: check_pipeline_explanation(fitted_pipelines, case),
        pipeline_cases(),
        DEFAULT_EXAMPLES["pipeline"],
    )


# --------------------------------------------------------------------------
# The projection alone: every point lands in the feasible set
# --------------------------------------------------------------------------
@st.composite
def projection_cases(draw):
    """Constraints in scaled units, a feasible factual and any candidate points."""
    kinds = draw(
        st.lists(st.sampled_from(["value", "integer", "group"]), min_size=1, max_size=4)
    )
    finite = st.floats(-5, 5, allow_nan=False)
    groups, implicit, columns = (
        [],
        [],
        {
            name: []
            for name in (
                "mutability",
                "low",
                "high",
                "integer",
                "scale",
                "offset",
                "factual",
            )
        },
    )
    for kind in kinds:
        size = draw(st.integers(2, 3)) if kind == "group" else 1
        a = draw(st.sampled_from([1.0, 0.5, 2.5, -1.5]))  # model = a * unit + b
        b = draw(finite)
        if kind == "group":
            dropped = draw(st.booleans())
            level = draw(st.integers(-1 if dropped else 0, size - 1))
            units = np.eye(size)[level] if level >= 0 else np.zeros(size)
            start = len(columns["factual"])
            groups.append(list(range(start, start + size)))
            implicit.append(dropped)
            mutability = [draw(st.sampled_from(["both", "none"]))] * size
            ends = [0.0, 1.0]  # the box holds both indicator values
        else:
            unit = draw(finite)
            units = [np.round(unit) if kind == "integer" else unit]
            mutability = [draw(st.sampled_from(MUTABILITY))]
            ends = sorted([draw(finite), draw(finite)])
            if kind == "integer":  # the box holds an integer
                ends[1] = max(ends[1], np.ceil(ends[0]))
        lo, hi = sorted([a * ends[0] + b, a * ends[1] + b])
        lo -= draw(st.floats(0, 1)) if kind == "group" else 0.0
        hi += draw(st.floats(0, 1)) if kind == "group" else 0.0
        if kind != "group":
            lo = lo if draw(st.booleans()) else -np.inf
            hi = hi if draw(st.booleans()) else np.inf
        columns["mutability"] += mutability
        columns["low"] += [lo] * size
        columns["high"] += [hi] * size
        columns["integer"] += [kind == "integer"] * size
        columns["scale"] += [a] * size
        columns["offset"] += [b] * size
        columns["factual"] += list(a * np.asarray(units, dtype=float) + b)
    d, n = len(columns["factual"]), draw(st.integers(1, 4))
    candidate = draw(
        st.lists(
            st.lists(st.floats(-20, 20, allow_nan=False), min_size=d, max_size=d),
            min_size=n,
            max_size=n,
        )
    )
    frozen = None
    if draw(st.booleans()):  # per sample and column (part of a group, too)
        frozen = np.asarray(
            draw(
                st.lists(
                    st.lists(st.booleans(), min_size=d, max_size=d),
                    min_size=n,
                    max_size=n,
                )
            )
        )
    factual = np.tile(columns.pop("factual"), (n, 1))
    constraints = FeatureConstraints(**columns, groups=groups, group_implicit=implicit)
    return constraints, factual, np.asarray(candidate, dtype=float), frozen


def check_projection(case):
    constraints, factual, candidate, frozen = case
    tensors = constraints.tensors(dtype=torch.float64)
    x_factual = torch.as_tensor(factual)
    if frozen is not None:
        tensors = tensors.with_frozen(torch.as_tensor(frozen))
    point = project(torch.as_tensor(candidate), x_factual, tensors).numpy()
    assert np.isfinite(point).all()
    bad = constraints.violations(point, factual)
    assert not bad.any(), (point.tolist(), factual.tolist())
    if frozen is not None:
        assert (point[frozen] == factual[frozen]).all()
    again = project(torch.as_tensor(point), x_factual, tensors).numpy()
    np.testing.assert_allclose(again, point, atol=1e-9)  # a projection is idempotent
    # The factual is feasible (keeping one's own value, even outside the box,
    # never breaks a constraint), so it projects onto itself.
    own = project(x_factual, x_factual, tensors).numpy()
    np.testing.assert_allclose(own, factual, atol=1e-9)


def test_projection_lands_in_the_feasible_set():
    _run_property(check_projection, projection_cases(), DEFAULT_EXAMPLES["project"])


# --------------------------------------------------------------------------
# The same properties at scale
# --------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", list(SLOW_EXAMPLES))
def test_properties_at_scale(name, fitted, fitted_pipelines):
    check, strategy = {
        "project": (check_projection, projection_cases()),
        "explain": (lambda case: check_explanation(fitted, case), explain_cases()),
        "pipeline": (
            lambda case: check_pipeline_explanation(fitted_pipelines, case),
            pipeline_cases(),
        ),
    }[name]
    _run_property(check, strategy, SLOW_EXAMPLES[name], slow=True)


# --------------------------------------------------------------------------
# Regressions found by the properties above
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def indicator_model():
    """Class 1 iff the second level of the one-hot group [1, 2] is active."""
    X = np.array([[0.0, 1, 0], [1, 0, 1], [-1, 1, 0], [2, 0, 1]])
    model = LogisticRegression().fit(X, [0, 1, 0, 1])
    model.coef_[:], model.intercept_[:] = [[0.1, 0.0, 4.0]], [-2.0]
    return model, X


def test_sparsify_reverts_a_one_hot_group_as_a_whole(indicator_model):
    # Sparsify reverted the group's columns one by one: [0, 1, 0] -> [0, 0, 1]
    # -> [0, 1, 1], two levels active, still class 1 (the first indicator has
    # no weight), so it was kept.
    model, X = indicator_model
    explainer = CounterfactualExplainer(
        model, generator="generic", categorical_groups=[[1, 2]]
    ).fit(X)
    result = explainer.explain(X[:1], target=1, sparsify=True)
    assert result.valid.all()
    assert not explainer.constraints_.violations(
        result.model_counterfactuals, result.model_factuals
    ).any()


def test_alternatives_freeze_a_one_hot_group_as_a_whole(indicator_model):
    # The first counterfactual's main lever was one indicator of the group;
    # freezing it alone for the second search gave [0, 1, 1].
    model, X = indicator_model
    explainer = CounterfactualExplainer(
        model, generator="generic", categorical_groups=[[1, 2]]
    ).fit(X)
    result = explainer.explain(X[:1], target=1, n_per_factual=3)
    assert not explainer.constraints_.violations(
        result.model_counterfactuals, result.model_factuals
    ).any()
    assert result.valid[0] and not result.valid[1:].any()  # the group was the lever


def test_a_frozen_indicator_freezes_its_whole_group():
    constraints = FeatureConstraints(
        ["both"] * 3, [-9] * 3, [9] * 3, groups=[[1, 2]]
    ).tensors(dtype=torch.float64)
    frozen = torch.tensor([[False, True, False], [False, False, False]])
    factual = torch.tensor([[0.0, 1, 0], [0.0, 1, 0]])
    point = project(
        torch.tensor([[2.0, 0, 1], [2.0, 0, 1]]),
        factual,
        constraints.with_frozen(frozen),
    )
    assert point.tolist() == [[2.0, 1, 0], [2.0, 0, 1]]


def test_feature_membership_merges_one_hot_groups():
    member = feature_membership([[0], [1], [2], [3]], 4, groups=[np.array([1, 3])])
    assert member.tolist() == [
        [True, False, False, False],
        [False, True, False, True],
        [False, False, True, False],
    ]


def test_an_integer_snapped_by_round_off_tolerance_stays_inside_the_box():
    # Found at scale (2026-12-04): an integer feature with scale -1.5 and the
    # box's high end 1e-6 units short of the integer 0. The tolerance for
    # float round-off (1e-6 in units) admitted 0, which in model units (x1.5)
    # lay 1.5e-6 outside the box; the end now steps one integer in.
    constraints = FeatureConstraints(
        ["both"] * 3,
        [-np.inf] * 3,
        [np.inf, np.inf, -1.5e-6],
        integer=[False, False, True],
        scale=[1.0, 1.0, -1.5],
        offset=[0.0, 0.0, 0.0],
    )
    factual = np.array([[0.0, 0.0, -1.5]])
    check_projection((constraints, factual, np.array([[0.0, 0.0, 0.0]]), None))
    low, high = constraints.integer_bounds()
    assert low[2] == 1.0 and high[2] == np.inf  # units: 1, 2, ... -> -1.5, -3, ...
    # A genuine round-off stays forgiven: a high end of 16 - 1e-9 holds 16.
    rounded = FeatureConstraints(["both"], [0.0], [16 - 1e-9], integer=[True])
    assert rounded.integer_bounds()[1][0] == 16.0


def test_an_integer_at_the_box_within_round_off_in_model_units_is_allowed():
    # Found by an oracle hunt (2026-12-04): length of stay, 0 to 637 days,
    # standardised (scale 0.0153); the observed box's low end came out
    # 2e-8 above the scaler's offset, 1.3e-6 units: day 0 was excluded, and
    # with it the only recourse of three people.
    constraints = FeatureConstraints(
        ["both"],
        [-0.89530557],
        [8.82777596],
        integer=[True],
        scale=[0.01526386],
        offset=[-0.89530559],
    )
    low, high = constraints.integer_bounds()
    assert (low[0], high[0]) == (0.0, 637.0)
    check_projection(
        (
            constraints,
            np.array([[-0.89530559 + 42 * 0.01526386]]),
            np.array([[-2.0]]),
            None,
        )
    )
