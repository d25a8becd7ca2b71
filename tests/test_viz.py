"""Plots return styled figures with titles and labelled axes; the neighbourhood map is deterministic and honest."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from streamrag.notebook import space, viz
from streamrag.store import StoreError


@pytest.fixture(autouse=True)
def one_blas_thread():
    # BLAS/OpenMP threads fighting over 2 busy cores make a 100-point t-SNE take 10x longer.
    with threadpool_limits(limits=1):
        yield


def _check_labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title().strip()
    assert ax.get_xlabel().strip()
    assert ax.get_ylabel().strip()
    assert ax.title.get_fontsize() >= 14
    assert ax.xaxis.label.get_fontsize() >= 14


def _topic_data(seed: int = 0, per_topic: int = 10):
    """Five well-separated 384-d topics with matching texts, plus a few singleton stories."""
    rng = np.random.default_rng(seed)
    words = {
        "rust": "rust borrow checker lifetimes cargo compiler",
        "python": "python pandas numpy jupyter notebook pip",
        "space": "rocket orbit launch nasa spacex booster",
        "db": "postgres sql index vacuum query planner",
        "gpu": "gpu cuda kernel nvidia tensor inference",
    }
    centres = {t: rng.normal(size=384) for t in words}
    vectors, groups, texts = [], [], []
    for topic, vocab in words.items():
        for _ in range(per_topic):
            vectors.append(centres[topic] + rng.normal(size=384) * 0.7)
            groups.append(topic)
            texts.append(" ".join(rng.choice(vocab.split(), 6)) + " people think this is really good")
    return np.asarray(vectors), groups, texts, centres


def test_arrival_rate_stacks_item_types():
    times = [1000.0 + i for i in range(60)]
    kinds = ["story", "comment", "comment", "job"] * 15
    fig = viz.plot_arrival_rate(times, kinds, bin_s=10)
    _check_labelled(fig)
    ax = fig.axes[0]
    assert "items per second" in ax.get_ylabel()
    assert "(s)" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(labels) == {"story", "comment", "other"}
    # 60 items over 60 s in 10-s bins: 1 item/s in total everywhere
    assert ax.get_ylim()[1] == pytest.approx(1.15)


def test_token_histogram_reports_share_over_limit():
    counts = [100] * 90 + [300] * 10
    fig = viz.plot_token_histogram(counts, limit=256)
    _check_labelled(fig)
    ax = fig.axes[0]
    assert "10.0%" in ax.get_title() and "256" in ax.get_title()
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert dashed and dashed[0].get_xdata()[0] == 256
    assert to_hex(dashed[0].get_color()) == viz.RED.lower()


def test_similarity_heatmap_annotates_small_matrices():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(4, 384))
    labels = ["A very long story title that will not fit on a projector slide"] * 2 + ["short", "other"]
    fig = viz.plot_similarity_heatmap(vectors, labels)
    _check_labelled(fig)
    ax = fig.axes[0]
    values = [t.get_text() for t in ax.texts]
    assert len(values) == 16 and values.count("1.00") >= 4
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert all(len(t) <= 28 for t in ticks)
    assert len(set(ticks)) == 4  # identical cut titles get numbered
    many = viz.plot_similarity_heatmap(rng.normal(size=(13, 8)), [str(i) for i in range(13)])
    assert not many.axes[0].texts  # no annotation beyond 12 items


def test_batch_throughput_uses_log2_axis():
    fig = viz.plot_batch_throughput([1, 2, 4, 8, 16, 32, 64], [20, 38, 70, 120, 180, 210, 205])
    _check_labelled(fig)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert "chunks/s" in ax.get_ylabel()
    assert any("210" in t.get_text() and "32" in t.get_text() for t in ax.texts)


def test_bar_comparison_labels_values():
    fig = viz.plot_bar_comparison(["1 worker", "2 workers", "4 workers"], [100.0, 180.5, 250.25],
                                  "throughput (chunks/s)", "Throughput by workers")
    _check_labelled(fig)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["100", "180", "250"]
    fig = viz.plot_bar_comparison(["dense", "hybrid"], [0.61234, 0.7], "MRR@10 (0–1)", "Dense vs hybrid",
                                  value_format="{:.2f}")
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.61", "0.70"]


def test_freshness_marks_percentiles():
    lags = np.linspace(0.0, 10.0, 101)
    fig = viz.plot_freshness(lags)
    _check_labelled(fig)
    ax = fig.axes[0]
    assert "p50 5.00 s" in ax.get_title() and "p95 9.50 s" in ax.get_title()
    xs = sorted(line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--")
    assert xs == pytest.approx([5.0, 9.5])
    assert fig.axes[1].get_ylabel().startswith("cumulative")


def test_errors_by_reason_sorted_horizontal_bars():
    fig = viz.plot_errors_by_reason({"fetch:http_404": 3, "parse:too_short": 7, "fetch:timeout": 1})
    _check_labelled(fig)
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names[-1] == "parse:too_short"  # largest on top
    assert "11 total" in ax.get_title()
    empty = viz.plot_errors_by_reason({})
    assert any("no errors" in t.get_text() for t in empty.axes[0].texts)


def test_project_2d_is_deterministic_and_handles_tiny_inputs():
    vectors, _, _, _ = _topic_data(per_topic=5)
    a = space.project_2d(vectors, method="tsne", seed=3)
    b = space.project_2d(vectors, method="tsne", seed=3)
    assert a.shape == (25, 2)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(space.project_2d(vectors, "pca"), space.project_2d(vectors, "pca"))
    for n in (0, 1, 2, 4):
        assert space.project_2d(np.ones((n, 384)) * np.arange(1, n + 1)[:, None], method="tsne").shape == (n, 2)


def test_cluster_labels_pick_distinctive_words():
    texts = ["rust borrow checker rules", "the borrow checker in rust", "rust lifetimes and the borrow checker",
             "python pandas dataframe", "pandas in python notebooks", "python pandas groupby",
             "people say rust is hard", "people say pandas is slow"]
    assignments = ["r", "r", "r", "p", "p", "p", "r", "p"]
    labels = space.cluster_labels(texts, assignments, top_n=2)
    assert set(labels) == {"r", "p"}
    assert set(labels["r"].split(" · ")) <= {"rust", "borrow", "checker"}
    assert set(labels["p"].split(" · ")) <= {"python", "pandas"}
    assert "people" not in labels["r"] and "the" not in labels["r"]
    assert space.cluster_labels(["the and of", "a an"], [0, 1]) == {0: "cluster 0", 1: "cluster 1"}


def test_neighbourhood_map_query_lines_go_to_true_nearest_neighbours():
    vectors, groups, texts, centres = _topic_data()
    rng = np.random.default_rng(5)
    query = centres["db"] + rng.normal(size=384) * 0.9
    fig = space.plot_neighbourhood_map(vectors, groups, texts, query_vector=query, query_text="postgres vacuum?",
                                     k=5, method="tsne", seed=0)
    _check_labelled(fig)
    info = fig.neighbourhood
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    truth = np.argsort(-(unit @ (query / np.linalg.norm(query))))[:5]
    assert list(info["neighbours"]) == list(truth)
    assert all(groups[i] == "db" for i in truth)
    ax = fig.axes[0]
    lines = {line.get_gid(): line for line in ax.get_lines() if (line.get_gid() or "").startswith("neighbour:")}
    assert set(lines) == {f"neighbour:{i}" for i in truth}
    for i in truth:  # every line runs from the star to that point's 2-D position
        xs, ys = lines[f"neighbour:{i}"].get_data()
        np.testing.assert_allclose([xs[0], ys[0]], info["query_xy"])
        np.testing.assert_allclose([xs[1], ys[1]], info["coords"][i])
    assert "postgres vacuum?" in ax.get_title()
    # names at cluster centres come from the texts
    assert any("vacuum" in t.get_text() or "postgres" in t.get_text() for t in ax.texts)
    assert ax.get_legend() is not None
    assert info["coords"].shape == (len(vectors), 2) and info["method"] == "t-SNE"


def test_neighbourhood_map_names_cover_no_point_as_saved():
    vectors, groups, _, centres = _topic_data()
    fig = space.plot_neighbourhood_map(vectors, groups, query_vector=centres["db"], query_text="q", k=3, seed=0)
    fig.savefig(io.BytesIO(), format="png", dpi=120, bbox_inches="tight")  # the layout as saved or shown
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    points = ax.transData.transform(np.vstack([fig.neighbourhood["coords"], fig.neighbourhood["query_xy"]]))
    names = [t for t in ax.texts if t.get_text()]
    assert {t.get_text() for t in names} == set(fig.neighbourhood["cluster_names"].values()) != set()
    for text in names:
        box = text.get_window_extent(renderer)
        inside = (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
        assert not inside.any(), f"{text.get_text()!r} covers {int(inside.sum())} point(s)"


def test_neighbourhood_map_limits_colours_and_greys_the_rest():
    rng = np.random.default_rng(2)
    groups = [f"story {i % 14}" for i in range(70)] + ["story 0"] * 10
    vectors = rng.normal(size=(len(groups), 16))
    fig = space.plot_neighbourhood_map(vectors, groups, method="pca", n_clusters=4,
                                     texts=[f"word{i % 4} text" for i in range(len(groups))])
    ax = fig.axes[0]
    colours = {to_hex(c.get_facecolors()[0]) for c in ax.collections if len(c.get_offsets())}
    assert len(colours) <= 11
    assert to_hex(viz.GREY) in colours
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-1].startswith("other (") and labels[0] == "story 0 (15)"
    assert len(fig.neighbourhood["colour_groups"]) == 9
    assert len(fig.neighbourhood["cluster_names"]) >= 1


def test_load_vectors_reads_rows(monkeypatch):
    from streamrag.store import milvus

    rows = [{"chunk_id": f"{i}:0", "item_id": i, "root_id": 1, "kind": "comment", "time": 100 + i,
             "title": "t", "url": "", "text": f"text {i}", "vector": [float(i)] * 384} for i in range(5)]

    class FakeClient:
        def has_collection(self, name):
            return name == "hn_chunks"

        def load_collection(self, name):
            pass

        def describe_collection(self, name):
            return {"fields": [{"name": f} for f in (*space.LOAD_FIELDS, "sparse")]}

    monkeypatch.setattr(milvus, "connect", lambda uri: FakeClient())
    monkeypatch.setattr(milvus, "query_all", lambda client, collection, fields, filter="": [dict(r) for r in rows])
    data = space.load_vectors("x.db", "hn_chunks", limit=3)
    assert data["vectors"].shape == (3, 384) and data["vectors"].dtype == np.float32
    assert list(data["item_id"]) == [4, 3, 2]  # newest first
    assert list(data["text"]) == ["text 4", "text 3", "text 2"]
    with pytest.raises(StoreError):
        space.load_vectors("x.db", "missing")


def test_save_figure_writes_png(tmp_path):
    fig = viz.plot_bar_comparison(["a", "b"], [1, 2], "value (units)", "t")
    path = viz.save_figure(fig, tmp_path / "deep" / "folder" / "bars")
    assert path.suffix == ".png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plots_accept_an_existing_axes():
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    assert viz.plot_freshness([1, 2, 3], ax=ax1) is fig
    assert viz.plot_errors_by_reason({"a:b": 1}, ax=ax2) is fig


def test_markdown_table_escapes_pipes():
    from streamrag.notebook.viz import markdown_table

    md = markdown_table([("a|b", 1)], ["name", "n"]).data
    assert md.splitlines() == ["| name | n |", "|---|---|", "| a\\|b | 1 |"]
