"""Plots for the notebooks and the docs, made to be readable on a projector.

Every plot function takes plain data (lists, arrays, dicts), draws in one consistent style (large fonts,
a title, labelled axes with units, a light grid, the colour-blind-safe :data:`PALETTE`), accepts an
optional ``ax`` to draw into, and returns the matplotlib ``Figure``. Nothing here calls ``plt.show()``:
return the figure from a notebook cell (or ``display(fig)``), or write it with :func:`save_figure`.

Figures are created with ``matplotlib.figure.Figure`` (not ``pyplot``), so a dashboard redrawing every second
does not accumulate open figures. Such a figure has no image formatter in a fresh kernel (only pyplot's inline
backend would register one), so importing this module registers :func:`figure_png` with IPython: a cell that
returns a figure shows it as a PNG, exactly once.

The map of the embedding space (vector neighbourhoods) is in :mod:`.space`.
"""

from __future__ import annotations

import io
import math
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

# Okabe & Ito's colour-blind-safe palette (yellow and black left out: too faint / reserved for queries),
# extended with three of Paul Tol's "muted" colours so a map can show ten groups.
PALETTE: list[str] = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#332288",  # indigo (Tol)
    "#882255",  # wine (Tol)
    "#999933",  # olive (Tol)
    "#44AA99",  # teal (Tol)
]
GREY = "#BBBBBB"  # "other": everything beyond the first ten groups
RED = "#D55E00"  # limits and warnings (Okabe-Ito vermillion: reads as red, also to colour-blind viewers)
INK = "#222222"  # the query star, annotations
KIND_COLOURS = {"story": PALETTE[0], "comment": PALETTE[1], "other": PALETTE[2]}
FIGSIZE = (10.0, 6.0)

STYLE: dict[str, Any] = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 14,
    "axes.titlesize": 18,
    "axes.titleweight": "bold",
    "axes.titlepad": 12,
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "legend.title_fontsize": 14,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linestyle": "-",
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "lines.linewidth": 2.5,
    "lines.markersize": 8,
    "image.cmap": "viridis",
}


@contextmanager
def styled() -> Iterator[None]:
    """Draw in the streamrag style (axes and ticks take it when they are made)."""
    with mpl.rc_context(STYLE):
        yield


def new_axes(ax: Axes | None, figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes]:
    """The given axes and their figure, or a fresh styled figure (outside pyplot) with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def no_data(ax: Axes, message: str = "no data yet") -> None:
    """Say on an empty plot why it is empty."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=18, color="#777777")


def shorten(text: Any, width: int = 40) -> str:
    """One line of at most ``width`` characters, with an ellipsis when cut."""
    line = " ".join(str(text if text is not None else "").split())
    return line if len(line) <= width else line[: max(1, width - 1)].rstrip() + "…"


def _wrap(text: str, width: int = 14) -> str:
    lines = [textwrap.wrap(line, width=width, break_long_words=True) or [""] for line in str(text).split("\n")]
    return "\n".join(part for wrapped in lines for part in wrapped)  # explicit line breaks are kept


def _fmt_number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _to_seconds(values: Sequence[Any]) -> np.ndarray:
    """Unix seconds from numbers, ``datetime`` objects or ``numpy.datetime64``."""
    out = []
    for value in values:
        if hasattr(value, "timestamp"):
            out.append(value.timestamp())
        elif isinstance(value, np.datetime64):
            out.append(value.astype("datetime64[ns]").astype(np.int64) / 1e9)
        else:
            out.append(float(value))
    return np.asarray(out, dtype=float)


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero): dot products become cosines."""
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)



# ---- pipeline plots ------------------------------------------------------------------------------------------


def plot_arrival_rate(times: Sequence[Any], kinds: Sequence[str], bin_s: float = 10, ax: Axes | None = None) -> Figure:
    """Items per second over time, stacked by item type (story / comment / other).

    ``times``: when each item arrived (unix seconds, ``datetime`` or ``datetime64``); ``kinds``: its HN type.
    """
    with styled():
        fig, ax = new_axes(ax)
        t = _to_seconds(times)
        if len(t) != len(kinds):
            raise ValueError(f"times and kinds differ in length ({len(t)} != {len(kinds)})")
        ax.set_title(f"Arrival rate by item type ({len(t)} items, {bin_s:g}-s bins)")
        ax.set_ylabel("items per second")
        if not len(t):
            ax.set_xlabel("time since first item (s)")
            no_data(ax)
            return fig
        rel = t - t.min()
        span = float(rel.max())
        minutes = span > 1800
        scale = 60.0 if minutes else 1.0
        n_bins = max(1, int(math.ceil((span + 1e-9) / bin_s)))
        edges = np.arange(n_bins + 1) * bin_s
        groups = np.array([k if k in ("story", "comment") else "other" for k in kinds])
        bottom = np.zeros(n_bins)
        for kind in ("story", "comment", "other"):
            counts, _ = np.histogram(rel[groups == kind], bins=edges)
            if not counts.any():
                continue
            rate = counts / bin_s
            top = bottom + rate
            x = edges / scale
            ax.fill_between(x, np.append(bottom, bottom[-1]), np.append(top, top[-1]), step="post",
                            color=KIND_COLOURS[kind], alpha=0.85, linewidth=0, label=kind)
            bottom = top
        ax.set_xlim(0, edges[-1] / scale)
        ax.set_ylim(0, max(float(bottom.max()) * 1.15, 1e-3))
        ax.set_xlabel("time since first item (min)" if minutes else "time since first item (s)")
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labels[::-1], title="item type", loc="upper left", bbox_to_anchor=(1.01, 1))
        return fig


def plot_token_histogram(token_counts: Sequence[int], limit: int = 256, ax: Axes | None = None) -> Figure:
    """Chunk lengths in model tokens, the model's limit as a red dashed line, the share over it in the title."""
    with styled():
        fig, ax = new_axes(ax)
        counts = np.asarray(token_counts, dtype=float)
        over = float((counts > limit).mean()) if len(counts) else 0.0
        ax.set_title(f"Chunk length: {over:.1%} of {len(counts)} chunks over the {limit}-token limit")
        ax.set_xlabel("chunk length (model tokens)")
        ax.set_ylabel("chunks (count)")
        if len(counts):
            hi = max(float(counts.max()), limit * 1.1)
            width = max(1.0, math.ceil(hi / 40))
            # the limit is a bin edge, so no bin mixes chunks within and over it
            first = limit - width * math.ceil(max(limit - min(0.0, float(counts.min())), 0) / width)
            edges = np.arange(first, hi + width, width)
            ax.hist(counts[counts <= limit], bins=edges, color=PALETTE[0], alpha=0.9, label="within limit")
            if over:
                ax.hist(counts[counts > limit], bins=edges, color=RED, alpha=0.9, label="over limit (truncated)")
            ax.set_xlim(min(0.0, edges[0]), edges[-1])
            ax.set_ylim(top=ax.get_ylim()[1] * 1.15)  # headroom for the legend
        else:
            no_data(ax)
        ax.axvline(limit, color=RED, linestyle="--", linewidth=3, label=f"limit: {limit} tokens")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper right")
        return fig


def plot_similarity_heatmap(vectors: Any, labels: Sequence[str], ax: Axes | None = None, label_width: int = 28,
                            title: str = "Cosine similarity between texts") -> Figure:
    """Cosine-similarity matrix as a heatmap; values are written in the cells for 12 items or fewer."""
    with styled():
        vecs = normalise_rows(np.asarray(vectors, dtype=float))
        n = len(vecs)
        if len(labels) != n:
            raise ValueError(f"{n} vectors but {len(labels)} labels")
        fig, ax = new_axes(ax, figsize=(10.0, 8.5) if n > 6 else (9.0, 7.0))
        sim = vecs @ vecs.T if n else np.zeros((0, 0))
        vmin = min(0.0, float(sim.min())) if n else 0.0
        image = ax.imshow(sim, cmap="viridis", vmin=vmin, vmax=1.0)
        short = [shorten(label, label_width) for label in labels]
        if len(set(short)) < len(short):  # cut titles that now look alike: number them
            short = [f"{i + 1}. {shorten(label, label_width - 3)}" for i, label in enumerate(labels)]
        ax.set_xticks(range(n), short, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(n), short)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if 0 < n <= 12:
            size = 14 if n <= 8 else 12
            mid = (vmin + 1.0) / 2
            for i in range(n):
                for j in range(n):
                    ax.text(j, i, f"{sim[i, j]:.2f}", ha="center", va="center", fontsize=size,
                            color="black" if sim[i, j] > mid else "white")
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.85)
        bar.set_label("cosine similarity")
        ax.set_title(title)
        ax.set_xlabel("text")
        ax.set_ylabel("text")
        return fig


def plot_batch_throughput(batch_sizes: Sequence[float], chunks_per_s: Sequence[float], ax: Axes | None = None,
                          title: str = "Embedding throughput vs batch size") -> Figure:
    """Throughput against batch size on a log2 x-axis; repeated sizes show each run and their median."""
    with styled():
        fig, ax = new_axes(ax)
        sizes = np.asarray(batch_sizes, dtype=float)
        rates = np.asarray(chunks_per_s, dtype=float)
        if len(sizes) != len(rates):
            raise ValueError("batch_sizes and chunks_per_s differ in length")
        ax.set_title(title)
        ax.set_xlabel("embedding batch size (chunks, log₂ scale)")
        ax.set_ylabel("throughput (chunks/s)")
        if not len(sizes):
            no_data(ax)
            return fig
        unique = np.unique(sizes)
        medians = np.array([np.median(rates[sizes == s]) for s in unique])
        if len(unique) < len(sizes):
            ax.scatter(sizes, rates, color=PALETTE[5], alpha=0.6, s=50, label="run", zorder=2)
        ax.plot(unique, medians, marker="o", markersize=10, color=PALETTE[0],
                label="median" if len(unique) < len(sizes) else None, zorder=3)
        best = int(np.argmax(medians))
        ax.annotate(f"best: {_fmt_number(medians[best])} chunks/s\nat batch {unique[best]:g}",
                    (unique[best], medians[best]), xytext=(0, 16), textcoords="offset points", ha="center",
                    va="bottom", fontsize=14, color=INK,
                    bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=GREY, alpha=0.9))
        if np.all(unique > 0):
            ax.set_xscale("log", base=2)
            ax.set_xticks(unique)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
            pad = 2 ** 0.4
            ax.set_xlim(unique.min() / pad, unique.max() * pad)
        ax.set_ylim(0, float(rates.max()) * 1.3 or 1.0)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best")
        return fig


def plot_bar_comparison(names: Sequence[str], values: Sequence[float], ylabel: str, title: str,
                        ax: Axes | None = None, errors: Sequence[float] | None = None,
                        value_format: str | None = None, colors: Sequence[str] | None = None,
                        xlabel: str = "configuration") -> Figure:
    """Bars for a few settings (e.g. 1/2/4 workers, dense vs hybrid) with each value written on its bar.

    ``ylabel`` should carry the unit, e.g. ``"throughput (chunks/s)"`` or ``"MRR@10 (0–1)"``.
    """
    with styled():
        fig, ax = new_axes(ax)
        vals = np.asarray(values, dtype=float)
        if len(names) != len(vals):
            raise ValueError("names and values differ in length")
        x = np.arange(len(vals))
        colours = list(colors) if colors else [PALETTE[i % len(PALETTE)] for i in range(len(vals))]
        bars = ax.bar(x, vals, color=colours, width=0.6, yerr=errors, capsize=6 if errors is not None else 0)
        labels = [value_format.format(v) for v in vals] if value_format else [_fmt_number(v) for v in vals]
        ax.bar_label(bars, labels=labels, padding=4, fontsize=16, fontweight="bold")
        ax.set_xticks(x, [_wrap(n, 16) for n in names])
        ax.grid(axis="x", visible=False)
        top = float(np.nanmax(vals + (np.asarray(errors, dtype=float) if errors is not None else 0))) if len(vals) else 1
        ax.set_ylim(min(0.0, float(np.nanmin(vals)) * 1.15) if len(vals) else 0, top * 1.18 if top > 0 else 1)
        ax.set_ylabel(ylabel)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        return fig


def plot_freshness(lags: Sequence[float], ax: Axes | None = None,
                   title: str = "Freshness: HN event → searchable in Milvus") -> Figure:
    """Freshness-lag histogram with its cumulative share (CDF, right axis) and p50/p95 marked."""
    with styled():
        fig, ax = new_axes(ax)
        values = np.sort(np.asarray(lags, dtype=float))
        values = values[np.isfinite(values)]
        ax.set_xlabel("freshness lag (s)")
        ax.set_ylabel("chunks (count)")
        if not len(values):
            ax.set_title(title)
            no_data(ax)
            return fig
        p50, p95 = (float(np.percentile(values, q)) for q in (50, 95))
        ax.set_title(f"{title}\np50 {_fmt_number(p50)} s · p95 {_fmt_number(p95)} s · {len(values)} chunks",
                     fontsize=17)
        ax.hist(values, bins=min(40, max(5, int(np.sqrt(len(values))) * 2)), color=PALETTE[5], alpha=0.9,
                label="chunks")
        cdf_ax = ax.twinx()
        cdf_ax.plot(values, np.arange(1, len(values) + 1) / len(values) * 100, color=PALETTE[0], label="cumulative share")
        cdf_ax.set_ylim(0, 105)
        cdf_ax.yaxis.set_major_formatter(PercentFormatter())
        cdf_ax.set_ylabel("cumulative share of chunks (%)")
        cdf_ax.grid(False)
        cdf_ax.spines["right"].set_visible(True)
        ax.axvline(p50, color=PALETTE[2], linestyle="--", linewidth=3, label=f"p50 = {_fmt_number(p50)} s")
        ax.axvline(p95, color=RED, linestyle="--", linewidth=3, label=f"p95 = {_fmt_number(p95)} s")
        ax.set_xlim(left=0)
        handles = ax.get_legend_handles_labels()[0] + cdf_ax.get_legend_handles_labels()[0]
        ax.legend(handles, [h.get_label() for h in handles], loc="center right", framealpha=0.9, frameon=True)
        return fig


def plot_errors_by_reason(skips: Mapping[str, int], ax: Axes | None = None, top: int = 12,
                          title: str = "Skipped items and pages by reason") -> Figure:
    """Horizontal bars of ``{"stage:reason": count}``, largest on top (the rest summed as "other")."""
    with styled():
        fig, ax = new_axes(ax)
        items = sorted(((str(k), int(v)) for k, v in skips.items() if v), key=lambda kv: (-kv[1], kv[0]))
        if len(items) > top:
            items = items[: top - 1] + [("other reasons", sum(v for _, v in items[top - 1:]))]
        total = sum(v for _, v in items)
        ax.set_title(f"{title} ({total} total)")
        ax.set_xlabel("items or pages (count)")
        ax.set_ylabel("stage:reason")
        if not items:
            no_data(ax, "no errors")
            ax.set_yticks([])
            return fig
        names = [shorten(k, 32) for k, _ in items][::-1]
        counts = [v for _, v in items][::-1]
        colours = [KIND_COLOURS["comment"] if n.startswith("fetch") else PALETTE[0] for n in names]
        bars = ax.barh(range(len(items)), counts, color=colours, height=0.65)
        ax.bar_label(bars, padding=4, fontsize=14)
        ax.set_yticks(range(len(items)), names)
        ax.set_xlim(0, max(counts) * 1.15)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", visible=False)
        return fig


# ---- display and files -----------------------------------------------------------------------------------------------------


def markdown_table(rows: Sequence[Sequence[Any]], header: Sequence[str]):
    """A small table for notebook output (IPython ``Markdown``), without pandas; ``|`` in cells is escaped."""
    from IPython.display import Markdown

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return Markdown("\n".join(lines))


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """``fig`` as PNG bytes (white background, tight bounding box): what a notebook shows."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png", bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def show_figures_in_ipython() -> bool:
    """Make IPython display every matplotlib ``Figure`` a cell returns as a PNG. False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook dependencies
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
    return True


def save_figure(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG (``dpi`` 120, white background, tight bounding box), creating folders."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png", bbox_inches="tight", facecolor="white")
    return path


show_figures_in_ipython()
