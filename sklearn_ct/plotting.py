"""Figures: decision boundaries with counterfactual paths, robustness, digits.

matplotlib is an optional dependency (``pip install 'sklearn-ct[plot]'``); it
is imported only when a figure is drawn. Every function draws on a given
``ax`` (or a new one) and returns it, so figures compose.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "plot_decision_boundary",
    "plot_digit_counterfactuals",
    "plot_robustness",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt  # falls back to Agg without a display
    except ImportError as error:
        raise ImportError(
            "Figures need matplotlib: pip install matplotlib (or "
            "pip install 'sklearn-ct[plot]')."
        ) from error
    return plt


def _axes(ax, figsize=(5, 4)):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=figsize)
    return ax


def plot_decision_boundary(
    model,
    X,
    y,
    *,
    ax=None,
    factuals=None,
    counterfactuals=None,
    feature_names=None,
    immutable=None,
    resolution=150,
    xlim=None,
    ylim=None,
    title=None,
):
    """Two-feature data, the model's probability surface and counterfactual moves.

    Parameters
    ----------
    model : fitted binary classifier with ``predict_proba``
        Trained on the two features of ``X``.
    X : array-like of shape (n_samples, 2)
        Data drawn as points.
    y : array-like of shape (n_samples,)
        Their labels (colours).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    factuals, counterfactuals : array-like of shape (m, 2), default=None
        Drawn as arrows from each factual to its counterfactual.
    feature_names : sequence of two str, default=None
        Axis labels.
    immutable : int or None, default=None
        Index of an immutable feature, noted in the axis label.
    resolution : int, default=150
        Grid points per axis for the probability surface.
    xlim, ylim : (float, float), default=None
        Axis limits; by default they cover the data and every counterfactual
        (pass the same limits to panels that should be compared).
    title : str, default=None
        Title of the axes.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ct import CounterfactualExplainer
    >>> X, y = make_blobs(100, centers=2, random_state=0)
    >>> model = LogisticRegression().fit(X, y)
    >>> result = CounterfactualExplainer(model).fit(X).explain(X[:3])
    >>> ax = plot_decision_boundary(
    ...     model, X, y, factuals=result.factuals,
    ...     counterfactuals=result.counterfactuals, feature_names=["income", "debt"],
    ...     immutable=0, resolution=30)
    >>> ax.get_xlabel(), ax.get_legend_handles_labels()[1]
    ('income (immutable)', ['class 0', 'class 1', 'factual', 'counterfactual'])
    >>> plt.close(ax.figure)
    """
    ax = _axes(ax)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    points = [X] + [
        np.asarray(a, dtype=float) for a in (factuals, counterfactuals) if a is not None
    ]
    stacked = np.vstack(points)
    low, high = stacked.min(0), stacked.max(0)
    pad = 0.08 * (high - low)
    limits = [
        xlim or (low[0] - pad[0], high[0] + pad[0]),
        ylim or (low[1] - pad[1], high[1] + pad[1]),
    ]
    g0, g1 = (np.linspace(*limits[j], resolution) for j in (0, 1))
    grid = np.column_stack([a.ravel() for a in np.meshgrid(g0, g1)])
    names = getattr(model, "feature_names_in_", None)
    query = grid
    if names is not None:
        import pandas as pd

        query = pd.DataFrame(grid, columns=names)
    proba = model.predict_proba(query)[:, 1].reshape(resolution, resolution)
    ax.contourf(g0, g1, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(g0, g1, proba, levels=[0.5], colors="k", linewidths=1.0)
    classes = np.unique(y)
    colors = ["tab:blue", "tab:red", "tab:green", "tab:orange"]
    for k, label in enumerate(classes):
        mask = y == label
        ax.scatter(
            X[mask, 0],
            X[mask, 1],
            s=6,
            alpha=0.35,
            color=colors[k % 4],
            label=f"class {label}",
            linewidths=0,
        )
    if factuals is not None and counterfactuals is not None:
        f = np.asarray(factuals, dtype=float)
        c = np.asarray(counterfactuals, dtype=float)
        ax.scatter(
            f[:, 0], f[:, 1], s=18, color="k", marker="o", zorder=3, label="factual"
        )
        ax.scatter(
            c[:, 0],
            c[:, 1],
            s=30,
            color="gold",
            edgecolors="k",
            marker="*",
            zorder=4,
            label="counterfactual",
        )
        for a, b in zip(f, c, strict=True):
            ax.annotate(
                "",
                xy=b,
                xytext=a,
                zorder=3,
                arrowprops={"arrowstyle": "->", "color": "k", "lw": 0.8},
            )
    labels = list(feature_names or ["feature 0", "feature 1"])
    if immutable is not None:
        labels[immutable] = f"{labels[immutable]} (immutable)"
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_xlim(g0[0], g0[-1])
    ax.set_ylim(g1[0], g1[-1])
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_robustness(table, *, ax=None, attack=None, ylim=(-0.02, 1.02), title=None):
    """Accuracy against the perturbation size, one line per model.

    Parameters
    ----------
    table : DataFrame
        Columns ``epsilon``, ``accuracy``, ``model`` and optionally ``attack``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    attack : str, default=None
        Keep only rows of this attack.
    ylim : (float, float) or None, default=(-0.02, 1.02)
        Accuracy axis limits; ``None`` fits them to the curves.
    title : str, default=None
        Title of the axes.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> table = pd.DataFrame({"model": ["BL", "BL", "CT", "CT"],
    ...                       "epsilon": [0.0, 0.1, 0.0, 0.1],
    ...                       "accuracy": [0.95, 0.60, 0.94, 0.85]})
    >>> ax = plot_robustness(table, title="moons")
    >>> [line.get_label() for line in ax.get_lines()], ax.get_lines()[1].get_ydata()
    (['BL', 'CT'], array([0.94, 0.85]))
    >>> plt.close(ax.figure)
    """
    ax = _axes(ax)
    if attack is not None and "attack" in table:
        table = table[table["attack"] == attack]
    for model, rows in table.groupby("model", sort=False):
        rows = rows.sort_values("epsilon")
        ax.plot(rows["epsilon"], rows["accuracy"], marker="o", ms=3, label=model)
    ax.set_xlabel("epsilon (L-inf)")
    ax.set_ylabel("accuracy")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_digit_counterfactuals(
    factuals,
    counterfactuals,
    *,
    targets=None,
    image_shape=(8, 8),
    vmin=-1.0,
    vmax=1.0,
    cmap="gray",
):
    """Image counterfactuals: the factuals on top, one row per model below.

    Parameters
    ----------
    factuals : array-like of shape (m, h * w)
        The factual images, one per column.
    counterfactuals : dict of str -> array-like of shape (m, h * w)
        Counterfactuals per model name (for example baseline and CT).
    targets : array-like of shape (m,), default=None
        Target classes, written above the columns.
    image_shape : tuple, default=(8, 8)
        Height and width of an image.
    vmin, vmax : float, default=-1, 1
        Pixel range.
    cmap : str, default="gray"
        Colour map (a diverging one such as "RdBu" suits difference images).

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> rng = np.random.default_rng(0)
    >>> factuals = rng.uniform(-1, 1, size=(3, 64))  # three 8x8 images
    >>> fig = plot_digit_counterfactuals(
    ...     factuals, {"BL": 0.5 * factuals, "CT": -factuals}, targets=[1, 2, 3])
    >>> len(fig.axes), fig.axes[0].get_title(), fig.axes[3].get_ylabel()
    (9, '-> 1', 'BL')
    >>> plt.close(fig)
    """
    plt = _pyplot()
    factuals = np.asarray(factuals, dtype=float)
    rows = [("factual", factuals)] + [
        (k, np.asarray(v, dtype=float)) for k, v in counterfactuals.items()
    ]
    m = len(factuals)
    fig, axes = plt.subplots(
        len(rows), m, figsize=(1.1 * m + 1, 1.2 * len(rows)), squeeze=False
    )
    for r, (name, images) in enumerate(rows):
        for c in range(m):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(image_shape), cmap=cmap, vmin=vmin, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=9)
            if r == 0 and targets is not None:
                ax.set_title(f"-> {targets[c]}", fontsize=8)
    fig.tight_layout()
    return fig
