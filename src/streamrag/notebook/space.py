"""The embedding space, seen: nearest neighbours, a 2-D projection, cluster names, and the neighbourhood map.

:func:`plot_neighbourhood_map` projects everything ingested (:func:`load_vectors`) to 2-D (:func:`project_2d`),
colours points by group, names clusters from their texts (:func:`cluster_labels`) and, given a query, draws
lines to its nearest neighbours measured in the ORIGINAL embedding space.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..config import SinkConfig
from ..store import Filter, open_store
from .viz import GREY, INK, PALETTE, new_axes, normalise_rows, shorten, styled


LOAD_FIELDS = ["chunk_id", "item_id", "root_id", "kind", "time", "title", "url", "text", "vector"]


def load_vectors(uri: str, collection: str, limit: int | None = 5000, where: str = "") -> dict[str, np.ndarray]:
    """What was ingested, as arrays: ``vectors`` (n x dim, float32), ``item_id``, ``root_id``, ``kind``, ``title``,
    ``text``, ``chunk_id``, ``url``, ``time``. At most ``limit`` rows: the newest by item time (then chunk id).
    ``where``: a filter in the store's own language (Milvus: ``'kind == "story"'``).
    """
    store = open_store(SinkConfig(uri=uri, collection=collection), create=False)
    rows = store.rows(LOAD_FIELDS, Filter(where=where or None))
    rows.sort(key=lambda r: (-int(r.get("time") or 0), str(r.get("chunk_id", ""))))
    if limit is not None:
        rows = rows[:limit]
    out: dict[str, np.ndarray] = {}
    dim = len(rows[0]["vector"]) if rows else 0
    out["vectors"] = (np.asarray([r["vector"] for r in rows], dtype=np.float32) if rows
                      else np.zeros((0, dim), dtype=np.float32))
    for name in ("item_id", "root_id", "time"):
        out[name] = np.asarray([int(r.get(name) or 0) for r in rows], dtype=np.int64)
    for name in ("chunk_id", "kind", "title", "url", "text"):
        out[name] = np.asarray([str(r.get(name) or "") for r in rows], dtype=object)
    return out


# ---- the map ---------------------------------------------------------------------------------------


def nearest_neighbours(vectors: Any, query_vector: Any, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of the ``k`` rows of ``vectors`` most similar to ``query_vector``.

    Exact (brute force) in the original embedding space; ties go to the lower index.
    """
    vecs = normalise_rows(np.asarray(vectors, dtype=float))
    query = normalise_rows(np.asarray(query_vector, dtype=float))[0]
    sims = vecs @ query
    order = np.lexsort((np.arange(len(sims)), -sims))[: max(0, min(k, len(sims)))]
    return order, sims[order]


def project_2d(vectors: Any, method: str = "pca", seed: int = 0) -> np.ndarray:
    """A deterministic 2-D projection (``n x 2``) of ``vectors`` with ``method`` ``"pca"`` or ``"tsne"``.

    t-SNE uses cosine distances, PCA initialisation, a perplexity adapted to small ``n`` and a PCA
    pre-reduction to 50 dimensions for speed; fewer than 5 points always use PCA.
    """
    from sklearn.decomposition import PCA

    x = np.asarray(vectors, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"expected an (n, d) array, got shape {x.shape}")
    n, d = x.shape
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', not {method!r}")
    if n == 0:
        return np.zeros((0, 2))
    if n < 3 or d < 2:
        out = np.zeros((n, 2))
        if n == 2:
            out[1, 0] = float(np.linalg.norm(x[1] - x[0]))
        return out
    if method == "pca" or n < 5:
        out = PCA(n_components=2, svd_solver="full", random_state=seed).fit_transform(x)
        return _canonical_signs(out)
    from sklearn.manifold import TSNE

    x = normalise_rows(x)
    if d > 50 and n > 50:
        x = PCA(n_components=50, svd_solver="full", random_state=seed).fit_transform(x)
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3.0)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                metric="cosine" if x.shape[1] == d else "euclidean", learning_rate="auto")
    return _canonical_signs(tsne.fit_transform(x))


def _canonical_signs(coords: np.ndarray) -> np.ndarray:
    """Flip axes so the same data always comes out the same way round (skewed towards positive)."""
    coords = np.asarray(coords, dtype=float).copy()
    for j in range(coords.shape[1]):
        column = coords[:, j]
        if np.sum(column ** 3) < 0:
            coords[:, j] = -column
    return coords


_TOKEN = r"(?u)\b[^\W\d_][\w'+#-]*[\w+#]\b"


def cluster_labels(texts: Sequence[str], assignments: Sequence[Any], top_n: int = 3,
                   separator: str = " · ") -> dict[Any, str]:
    """A readable name per cluster: its ``top_n`` most distinctive TF-IDF terms.

    A term scores its mean TF-IDF weight inside the cluster minus its mean weight in the other texts, so
    words every cluster shares ("people", "just") lose to the ones that set a cluster apart.
    Returns ``{cluster: "term · term · term"}`` for every cluster in ``assignments`` (``None`` is skipped).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) != len(assignments):
        raise ValueError(f"{len(texts)} texts but {len(assignments)} assignments")
    clusters = [c for c in dict.fromkeys(assignments) if c is not None]
    fallback = {c: f"cluster {c}" for c in clusters}
    try:
        vectorizer = TfidfVectorizer(stop_words="english", token_pattern=_TOKEN, sublinear_tf=True,
                                     lowercase=True, min_df=1, max_df=1.0)
        matrix = vectorizer.fit_transform([t or "" for t in texts]).tocsr()
    except ValueError:  # empty vocabulary: only stop words or no text at all
        return fallback
    vocab = np.asarray(vectorizer.get_feature_names_out())
    assigned = np.asarray([clusters.index(a) if a is not None else -1 for a in assignments])
    total = np.asarray(matrix.sum(axis=0)).ravel()
    out: dict[Any, str] = {}
    for index, cluster in enumerate(clusters):
        members = assigned == index
        inside = np.asarray(matrix[members].sum(axis=0)).ravel()
        n_in, n_out = int(members.sum()), int(len(texts) - members.sum())
        score = inside / n_in - ((total - inside) / n_out if n_out else 0.0)
        score = np.where(inside > 0, score, -np.inf)
        picked: list[str] = []
        for j in np.lexsort((vocab, -score)):
            if not np.isfinite(score[j]) or len(picked) >= top_n:
                break
            term = str(vocab[j])
            if any(_same_stem(term, p) for p in picked):
                continue
            picked.append(term)
        out[cluster] = separator.join(picked) if picked else fallback[cluster]
    return out


def _wrap_terms(label: str, width: int = 18, separator: str = " · ") -> str:
    """Break a cluster name between its terms (not inside one) into lines of about ``width`` characters."""
    lines: list[str] = []
    for term in label.split(separator):
        if lines and len(lines[-1]) + len(separator) + len(term) <= width:
            lines[-1] += separator + term
        else:
            lines.append(term)
    return "\n".join(lines)


def _place_label(ax: Axes, text, anchor: np.ndarray, points: np.ndarray, taken: list, renderer,
                 margin: float = 0.0) -> None:
    """Move ``text`` to the spot nearest ``anchor`` (rings of candidates around it) where its box covers no point,
    no label placed before (``taken``: their display boxes) and stays inside the axes; keeps the least-covering
    spot when none is free. ``points`` are display coordinates, ``margin`` a marker's radius in pixels."""
    axes_box = ax.get_window_extent(renderer)
    to_data = ax.transData.inverted()
    best, best_cost = None, None
    for radius in (0.0, 0.04, 0.08, 0.12, 0.17, 0.23, 0.3, 0.4):
        for angle in np.linspace(0, 2 * np.pi, 1 if radius == 0 else 16, endpoint=False):
            offset = np.array([np.cos(angle) * axes_box.width, np.sin(angle) * axes_box.height]) * radius
            spot = to_data.transform(ax.transData.transform(anchor) + offset)
            text.set_position(spot)
            box = text.get_window_extent(renderer).padded(margin)
            if not (axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1 and axes_box.y0 <= box.y0 and box.y1 <= axes_box.y1):
                continue
            covered = int(np.sum((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
                                 & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1))) if len(points) else 0
            cost = covered * 10 + sum(box.overlaps(t) for t in taken) * 100
            if best_cost is None or cost < best_cost:
                best, best_cost = spot, cost
            if cost == 0:
                taken.append(box)
                return
    if best is not None:
        text.set_position(best)
    taken.append(text.get_window_extent(renderer))


def _same_stem(a: str, b: str) -> bool:
    return a.rstrip("s") == b.rstrip("s") or a in b.split("-") or b in a.split("-")


def plot_neighbourhood_map(vectors: Any, groups: Sequence[Any] | None = None, texts: Sequence[str] | None = None,
                           query_vector: Any = None, query_text: str = "", k: int = 5, method: str = "tsne",
                           n_clusters: int | None = None, ax: Axes | None = None, seed: int = 0,
                           max_groups: int = 10, group_title: str = "group", title: str | None = None) -> Figure:
    """The vector-neighbourhood map: everything ingested, projected to 2-D.

    * points are coloured by ``groups`` (topic, story title...): the ``max_groups`` largest get a colour,
      the rest are grey "other";
    * cluster names sit at cluster centres: KMeans clusters (``n_clusters``) named by :func:`cluster_labels`
      of their ``texts``, else the groups, named from their texts (or by the group itself without texts);
    * with ``query_vector``: the query is a star, projected together with the data, with lines to its ``k``
      nearest neighbours by cosine similarity in the ORIGINAL space (2-D distances can mislead).

    The figure carries ``fig.neighbourhood``: ``coords`` (n x 2), ``query_xy``, ``neighbours`` (indices),
    ``similarities``, ``colour_groups`` (groups that got a colour) and ``cluster_names``.
    """
    with styled():
        vecs = np.asarray(vectors, dtype=float)
        n = len(vecs)
        if groups is not None and len(groups) != n:
            raise ValueError(f"{n} vectors but {len(groups)} groups")
        if texts is not None and len(texts) != n:
            raise ValueError(f"{n} vectors but {len(texts)} texts")
        fig, ax = new_axes(ax, figsize=(12.0, 7.5))
        has_query = query_vector is not None and n > 0
        data = np.vstack([vecs, np.asarray(query_vector, dtype=float).reshape(1, -1)]) if has_query else vecs
        coords_all = project_2d(data, method=method, seed=seed) if len(data) else np.zeros((0, 2))
        coords = coords_all[:n]
        query_xy = coords_all[n] if has_query else None

        # colours: the largest groups first (ties by first appearance), the rest grey
        group_list = list(groups) if groups is not None else ["all"] * n
        ranked = [g for g, _ in Counter(group_list).most_common()]
        n_coloured = max_groups if len(ranked) <= max_groups else max_groups - 1
        coloured = ranked[:n_coloured]
        colour_of = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(coloured)}
        size = float(np.clip(900.0 / math.sqrt(max(n, 1)), 12.0, 120.0))
        rest = np.array([g not in colour_of for g in group_list], dtype=bool)
        if rest.any():
            ax.scatter(coords[rest, 0], coords[rest, 1], s=size * 0.7, color=GREY, alpha=0.6, linewidths=0,
                       label=f"other ({int(rest.sum())})", zorder=1)
        for g in coloured:
            mask = np.array([x == g for x in group_list], dtype=bool)
            ax.scatter(coords[mask, 0], coords[mask, 1], s=size, color=colour_of[g], alpha=0.85,
                       edgecolors="white", linewidths=0.5, label=f"{shorten(g, 28)} ({int(mask.sum())})", zorder=2)

        # cluster names at cluster centres
        cluster_names: dict[Any, str] = {}
        if n_clusters and n >= 2:
            from sklearn.cluster import KMeans

            n_c = int(min(n_clusters, n))
            assignment = KMeans(n_clusters=n_c, random_state=seed, n_init=10).fit_predict(normalise_rows(vecs)).tolist()
            names = cluster_labels(texts, assignment) if texts is not None else {c: f"cluster {c}" for c in set(assignment)}
        elif groups is not None and n:
            assignment = [g if g in colour_of else None for g in group_list]
            names = (cluster_labels(texts, assignment) if texts is not None
                     else {g: shorten(g, 24) for g in colour_of})
        else:
            assignment, names = [], {}
        counts = Counter(a for a in assignment if a is not None)
        min_size = max(2, int(0.03 * n))  # tiny clusters get no name: their labels would only clutter
        labelled = [(c, size_c) for c, size_c in counts.most_common(max_groups) if size_c >= min_size]
        anchors = {}
        for cluster, _ in labelled:
            mask = np.array([a == cluster for a in assignment], dtype=bool)
            anchors[cluster] = np.median(coords[mask], axis=0)
            cluster_names[cluster] = names.get(cluster, str(cluster))
        neighbours = np.zeros(0, dtype=int)
        sims = np.zeros(0)
        if has_query:
            neighbours, sims = nearest_neighbours(vecs, query_vector, k)
            for rank, (i, s) in enumerate(zip(neighbours, sims)):
                line, = ax.plot([query_xy[0], coords[i, 0]], [query_xy[1], coords[i, 1]], color=INK,
                                linewidth=1.8, alpha=0.8, zorder=3,
                                label=f"{len(neighbours)} nearest (cosine, {vecs.shape[1]}-d)" if rank == 0 else None)
                line.set_gid(f"neighbour:{int(i)}")
            ax.scatter(coords[neighbours, 0], coords[neighbours, 1], s=size * 1.6, facecolors="none",
                       edgecolors=INK, linewidths=2, zorder=4)
            ax.scatter([query_xy[0]], [query_xy[1]], marker="*", s=650, color=INK, edgecolors="white",
                       linewidths=1.5, zorder=6, label="query")
        method_name = "t-SNE" if method == "tsne" and n + int(has_query) >= 5 else "PCA"
        if title is None:
            if has_query:
                title = f"Query “{shorten(query_text, 50)}” and its {len(neighbours)} nearest neighbours"
            else:
                title = f"Vector neighbourhood map: {n} chunks ({method_name})"
        ax.set_title(title)
        ax.set_xlabel(f"{method_name} dimension 1 (arbitrary units)")
        ax.set_ylabel(f"{method_name} dimension 2 (arbitrary units)")
        ax.tick_params(labelbottom=False, labelleft=False)
        if ax.get_legend_handles_labels()[0]:
            handles, labels = ax.get_legend_handles_labels()
            order = sorted(range(len(labels)), key=lambda i: labels[i].startswith("other ("))  # "other" last
            ax.legend([handles[i] for i in order], [labels[i] for i in order], title=group_title,
                      loc="upper left", bbox_to_anchor=(1.01, 1), markerscale=1.0, handlelength=1.2)
        if labelled:
            # Last, when the layout is final (legend and title in place): every name where its box covers no
            # point, no other name and not the query star.
            shown = coords_all if len(coords_all) else np.zeros((1, 2))
            lo, hi = shown.min(axis=0), shown.max(axis=0)
            pad = np.where(hi - lo > 0, hi - lo, 1.0) * 0.08
            ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
            ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
            if not hasattr(fig.canvas, "get_renderer"):
                FigureCanvasAgg(fig)
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            points = ax.transData.transform(coords_all) if len(coords_all) else np.zeros((0, 2))
            taken: list = []
            for cluster, _ in labelled:
                text = ax.text(0, 0, _wrap_terms(cluster_names[cluster]), ha="center", va="center", fontsize=14,
                               fontweight="bold", color=INK, zorder=5,
                               bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=colour_of.get(cluster, GREY),
                                         alpha=0.9))
                _place_label(ax, text, anchors[cluster], points, taken, renderer,
                             margin=math.sqrt(size * 1.6) / 2 * fig.dpi / 72 + 2)

        fig.neighbourhood = {
            "coords": coords,
            "query_xy": query_xy,
            "neighbours": neighbours,
            "similarities": sims,
            "colour_groups": coloured,
            "cluster_names": cluster_names,
            "method": method_name,
        }
        return fig
