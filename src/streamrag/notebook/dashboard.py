"""Notebook widgets: a live dashboard for a running pipeline and a search box over what it ingested.

``LiveDashboard`` watches a :class:`streamrag.flow.PipelineThread` (or a bare ``RunMetrics``)::

    thread = PipelineThread(config); thread.start()
    dash = LiveDashboard(thread).start()   # refreshes every second in a background thread
    dash                                   # show it; the Stop button stops the pipeline

Headless runs (tests, ``nbclient``) call ``dash.refresh()`` instead of ``start()`` and can save
``dash.figure_png()`` for the docs. The figure is drawn with Agg outside ``pyplot`` and shown as PNG bytes in
an ``ipywidgets.Image``: it updates in place in JupyterLab, classic Notebook and VS Code, with no
interactive matplotlib backend.

``SearchBox`` puts a text box, a dense/hybrid switch and a k slider in front of a retriever with
``search(query, k=..., mode=...)`` (see ``streamrag.retrieve``) and shows the results as an HTML table.
"""

from __future__ import annotations

import html
import io
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import viz

logger = logging.getLogger(__name__)

__all__ = ["LiveDashboard", "SearchBox", "format_duration"]


def format_duration(seconds: float) -> str:
    """``"42.0 s"``, ``"3 min 05 s"``, ``"1 h 02 min"``."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass
class _Sample:
    t: float  # seconds since the run started
    p50: float  # freshness of the chunks written since the previous sample (NaN: none written)
    p95: float


class LiveDashboard:
    """Header line, four live panels and a Stop button for a running pipeline.

    ``source``: a ``PipelineThread`` (anything with ``.metrics``, ``.stop()`` and ``.is_alive()``) or a
    ``RunMetrics`` (anything with ``.counts``, ``.skips``, ``.freshness`` and ``.batch_sizes``).
    Panels: items/s and chunks/s (from the flow's own tumbling windows, see ``streamrag.flow.throughput``),
    freshness lag p50/p95 of the chunks written since the previous refresh, errors by reason, and the latest
    embed batch sizes.
    ``history``: how many refreshes the time-series panels keep.
    """

    def __init__(self, source: Any, refresh_s: float = 1.0, history: int = 120, source_name: str | None = None,
                 clock: Callable[[], float] = time.time, figsize: tuple[float, float] = (13.0, 7.5),
                 dpi: int = 80) -> None:
        metrics = getattr(source, "metrics", None)
        if metrics is not None and hasattr(metrics, "counts"):
            self.thread, self.metrics = source, metrics
        elif hasattr(source, "counts"):
            self.thread, self.metrics = None, source
        else:
            raise TypeError("LiveDashboard needs a PipelineThread or a RunMetrics-like object with .counts")
        self.refresh_s = float(refresh_s)
        self.clock = clock
        self.source_name = source_name if source_name is not None else _source_name(source)
        self.samples: deque[_Sample] = deque(maxlen=max(2, int(history)))
        self.summary: dict[str, Any] | None = None
        self.stopped = threading.Event()  # set once a Stop request has finished
        self._fresh_seen = 0
        self._png = b""
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._loop: threading.Thread | None = None
        self._stopper: threading.Thread | None = None
        self._state = "waiting"

        with viz.styled():  # ticks and grid take their style when the axes are made
            self.figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
            FigureCanvasAgg(self.figure)
            self.axes = self.figure.subplots(2, 2).ravel()

        self.header = widgets.HTML(layout=widgets.Layout(flex="1 1 auto"))
        self.stop_button = widgets.Button(description="Stop pipeline", button_style="danger", icon="stop",
                                          tooltip="Stop the source; in-flight work drains, then the run ends",
                                          layout=widgets.Layout(width="180px", height="40px"),
                                          disabled=self.thread is None)
        self.stop_button.on_click(lambda _button: self.stop())
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.widget = widgets.VBox(
            [widgets.HBox([self.header, self.stop_button], layout=widgets.Layout(align_items="center")), self.image])
        self._set_header(self._read(consume=False))

    # -- display ---------------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    def figure_png(self) -> bytes:
        """The current dashboard figure as PNG bytes (drawn now if it never was)."""
        with self._lock:
            if not self._png:
                self.refresh()
            return self._png

    @property
    def header_text(self) -> str:
        """The header line without its HTML."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.header.value))

    # -- refreshing ------------------------------------------------------------------------------------
    def start(self) -> "LiveDashboard":
        """Refresh every ``refresh_s`` seconds in a background thread until the pipeline ends or ``close()``."""
        if self._loop is None or not self._loop.is_alive():
            self._closed.clear()
            self._loop = threading.Thread(target=self._run, name="streamrag-dashboard", daemon=True)
            self._loop.start()
        return self

    def _run(self) -> None:
        while not self._closed.is_set():
            finished = self._pipeline_finished()
            try:
                self.refresh()
            except Exception:  # a drawing bug must not kill the loop silently
                logger.exception("dashboard refresh failed")
            if finished:
                break
            self._closed.wait(self.refresh_s)

    def close(self) -> None:
        """Stop refreshing (the widgets stay on screen with their last state)."""
        self._closed.set()
        loop = self._loop
        if loop is not None and loop is not threading.current_thread():
            loop.join(timeout=max(5.0, 3 * self.refresh_s))
        self._loop = None

    def refresh(self) -> bytes:
        """Read the metrics once, redraw the header and the figure in place; returns the PNG bytes."""
        with self._lock:
            data = self._read()
            t = data["elapsed"]
            new_lags = data["new_lags"]
            p50, p95 = (float(np.percentile(new_lags, q)) if len(new_lags) else math.nan for q in (50, 95))
            if self.samples and t < self.samples[-1].t - 0.5:
                self.samples.clear()  # the run restarted its clock (warm-up done): a new timeline
            if self.samples and t <= self.samples[-1].t:
                t = self.samples[-1].t + 1e-6  # a clock that did not move must not divide by zero
            self.samples.append(_Sample(t, p50, p95))
            self._set_header(data)
            self._draw(data)
            buffer = io.BytesIO()
            with viz.styled():  # cleared axes make their ticks at draw time, from the rcParams then
                self.figure.savefig(buffer, format="png", dpi=self.figure.dpi, facecolor="white")
            self._png = buffer.getvalue()
            self.image.value = self._png
            return self._png

    def _read(self, consume: bool = True) -> dict[str, Any]:
        data = self.metrics.view(lags_from=self._fresh_seen)
        if consume:
            self._fresh_seen = data["n_lags"]
        data["elapsed"] = self.clock() - data["started"]
        return data

    # -- pipeline state ----------------------------------------------------------------------------------
    def _pipeline_finished(self) -> bool:
        thread = self.thread
        if thread is None:
            return False
        started = getattr(thread, "ident", True) is not None
        return bool(started and not thread.is_alive())

    def _status(self) -> str:
        thread = self.thread
        if thread is None:
            return "watching"
        error = getattr(thread, "error", None)
        if error is not None:
            return f"failed: {error.__class__.__name__}: {error}"
        if self.stopped.is_set():
            return "stopped"
        if self._stopper is not None:
            return "stopping…"
        if getattr(thread, "ident", True) is None:
            return "not started"
        return "running" if thread.is_alive() else "finished"

    def _set_header(self, data: dict[str, Any]) -> None:
        counts = data["counts"]
        errors = sum(data["skips"].values())
        status = self._status()
        colour = "#D55E00" if status.startswith("failed") else "#222222"
        parts = [
            f"<b>{html.escape(self.source_name or 'pipeline')}</b>",
            f"elapsed <b>{format_duration(data['elapsed'])}</b>",
            f"items <b>{counts.get('items_seen', 0)}</b>",
            f"chunks <b>{counts.get('chunks_written', 0)}</b>",
            f"errors <b>{errors}</b>",
            f"<span style='color:{colour}'>{html.escape(status)}</span>",
        ]
        self.header.value = (
            "<div style='font-size:20px;line-height:1.4;padding:4px 0'>" + " &middot; ".join(parts) + "</div>")
        if self.thread is not None and (self._pipeline_finished() or self.stopped.is_set()):
            self.stop_button.disabled = True
            if self._stopper is None:
                self.stop_button.description = "Finished"

    def _draw(self, data: dict[str, Any]) -> None:
        with viz.styled():
            for ax in self.axes:
                ax.clear()
            rate_ax, fresh_ax, error_ax, batch_ax = self.axes
            samples = list(self.samples)
            t = np.array([s.t for s in samples])

            # items/s and chunks/s per closed window of the flow's windowing step
            rate_ax.set_title("Throughput")
            rate_ax.set_xlabel("elapsed (s)")
            rate_ax.set_ylabel("rate (per second)")
            windows, length = data["windows"], data["window_s"] or 1.0
            drawn = []
            for kind, colour in (("items", viz.PALETTE[0]), ("chunks", viz.PALETTE[1])):
                pairs = dict(windows.get(kind, []))
                if pairs:
                    # A window with nothing in it is never emitted: it is a 0, not a gap to bridge.
                    grid = np.arange(min(pairs), max(pairs) + length / 2, length)
                    starts = grid - data["started"]
                    rates = np.array([pairs.get(float(start), 0) for start in grid]) / length
                    rate_ax.step(starts, rates, where="post", color=colour, label=f"{kind}/s ({rates[-1]:.1f})")
                    drawn.append(rates.max())
            if drawn:
                rate_ax.set_ylim(bottom=0, top=max(1.0, max(drawn) * 1.4))
                rate_ax.legend(loc="upper left")
            else:
                viz.no_data(rate_ax, "collecting…")

            # freshness lag p50 / p95
            fresh_ax.set_title("Freshness lag")
            fresh_ax.set_xlabel("elapsed (s)")
            fresh_ax.set_ylabel("lag (s)")
            p50 = np.array([s.p50 for s in samples])
            p95 = np.array([s.p95 for s in samples])
            if np.isfinite(p95).any():
                fresh_ax.plot(t, p95, marker="o", markersize=4, color=viz.RED, label="p95")
                fresh_ax.plot(t, p50, marker="o", markersize=4, color=viz.PALETTE[2], label="p50")
                fresh_ax.set_ylim(bottom=0, top=float(np.nanmax(p95)) * 1.4 or 1.0)
                fresh_ax.legend(loc="upper left")
            else:
                viz.no_data(fresh_ax, "no chunks written yet")

            # errors by reason
            viz.plot_errors_by_reason(data["skips"], ax=error_ax, top=6, title="Errors")
            error_ax.set_ylabel("")
            error_ax.set_xlabel("count")

            # embed batch sizes
            batches = data["batches"]
            batch_ax.set_xlabel("embed batch (latest on the right)")
            batch_ax.set_ylabel("chunks per batch")
            if batches:
                batch_ax.bar(np.arange(len(batches)), batches, color=viz.PALETTE[5], width=0.8)
                batch_ax.set_title(f"Embed batch sizes (mean {np.mean(batches):.1f})")
                limit = _batch_limit(self.thread)
                if limit:
                    batch_ax.axhline(limit, color=viz.RED, linestyle="--", linewidth=2, label=f"max {limit}")
                    batch_ax.legend(loc="upper left")
                batch_ax.set_ylim(0, max(max(batches), limit or 0) * 1.3)
                batch_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            else:
                batch_ax.set_title("Embed batch sizes")
                viz.no_data(batch_ax, "no batches yet")

    # -- stopping ------------------------------------------------------------------------------------------
    def stop(self, wait: bool = False, timeout: float | None = None) -> None:
        """Stop the pipeline thread (in a background thread, so the notebook stays responsive)."""
        if self.thread is None or self._stopper is not None:
            if wait:
                self.stopped.wait(timeout)
            return
        self.stop_button.disabled = True
        self.stop_button.description = "Stopping…"

        def do_stop() -> None:
            try:
                self.summary = self.thread.stop()
            except Exception:
                logger.exception("stopping the pipeline failed")
            finally:
                self.stopped.set()
                self.stop_button.description = "Stopped"
                try:
                    self.refresh()
                except Exception:  # pragma: no cover - best effort final frame
                    logger.exception("dashboard refresh failed")

        self._stopper = threading.Thread(target=do_stop, name="streamrag-dashboard-stop", daemon=True)
        self._stopper.start()
        if wait:
            self.stopped.wait(timeout)


def _source_name(source: Any) -> str:
    handle = getattr(source, "handle", None)
    return str(getattr(handle, "source_description", "") or getattr(source, "source_description", "") or "")


def _batch_limit(thread: Any) -> int | None:
    try:
        return int(thread.handle.pipeline.config.embed.batch_size)
    except (AttributeError, TypeError, ValueError):
        return None


# ---- search box ---------------------------------------------------------------------------------------------


class SearchBox:
    """A query box with a dense/hybrid switch and a k slider, showing results as an HTML table.

    Press Enter or click Search; or call ``box.search("query")`` (headless notebooks, tests), which updates
    the table and returns the retriever's results. Every text from the index is HTML-escaped.
    """

    def __init__(self, retriever: Any, k: int = 5, mode: str = "dense", modes: Sequence[str] = ("dense", "hybrid"),
                 max_k: int = 20, snippet_chars: int = 240, **search_kwargs: Any) -> None:
        self.retriever = retriever
        self.snippet_chars = snippet_chars
        self.search_kwargs = search_kwargs  # e.g. kind="story", since=...: passed on to retriever.search
        self.results: list[Any] = []
        self._quiet = False
        self.query = widgets.Text(placeholder="Ask Hacker News… (Enter to search)", continuous_update=False,
                                  layout=widgets.Layout(flex="1 1 auto", height="40px"),
                                  style={"font_size": "18px"})
        self.mode = widgets.Dropdown(options=list(modes), value=mode, description="mode",
                                     layout=widgets.Layout(width="190px"))
        self.k = widgets.IntSlider(value=k, min=1, max=max_k, description="k", continuous_update=False,
                                   layout=widgets.Layout(width="260px"))
        self.button = widgets.Button(description="Search", button_style="primary", icon="search",
                                     layout=widgets.Layout(width="120px", height="40px"))
        self.status = widgets.HTML()
        self.table = widgets.HTML(value=self._message("Type a question and press Enter."))
        self.query.observe(self._on_change, names="value")
        self.mode.observe(self._on_change, names="value")
        self.k.observe(self._on_change, names="value")
        self.button.on_click(lambda _button: self._search_from_ui())
        self.widget = widgets.VBox([
            widgets.HBox([self.query, self.button], layout=widgets.Layout(width="100%")),
            widgets.HBox([self.mode, self.k, self.status], layout=widgets.Layout(align_items="center")),
            self.table,
        ])

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def html(self) -> str:
        """The results table's HTML."""
        return self.table.value

    def _on_change(self, _change: Any) -> None:
        if not self._quiet and self.query.value.strip():
            self._search_from_ui()

    def _search_from_ui(self) -> None:
        try:
            self.search()
        except Exception:  # already shown in the status line; a widget callback has nowhere to raise to
            logger.exception("search failed")

    def search(self, query: str | None = None, k: int | None = None, mode: str | None = None,
               **kwargs: Any) -> list[Any]:
        """Run a search (arguments default to the widgets' values), show the results and return them."""
        self._quiet = True
        try:
            if query is not None:
                self.query.value = query
            if k is not None:
                self.k.value = int(k)
            if mode is not None:
                self.mode.value = mode
        finally:
            self._quiet = False
        text = self.query.value.strip()
        if not text:
            self.results = []
            self.status.value = ""
            self.table.value = self._message("Type a question and press Enter.")
            return self.results
        params = {**self.search_kwargs, **kwargs}
        self.status.value = "<span style='font-size:16px;color:#555'>searching…</span>"
        started = time.perf_counter()
        try:
            results = list(self.retriever.search(text, k=self.k.value, mode=self.mode.value, **params))
        except Exception as exc:
            self.status.value = (f"<span style='font-size:16px;color:#D55E00'>search failed: "
                                 f"{html.escape(f'{exc.__class__.__name__}: {exc}')}</span>")
            raise
        ms = (time.perf_counter() - started) * 1000
        self.results = results
        self.status.value = (f"<span style='font-size:16px;color:#555'>{len(results)} results in {ms:.0f} ms "
                             f"({html.escape(self.mode.value)})</span>")
        self.table.value = self.render(results) if results else self._message(f"No results for “{text}”.")
        return results

    def render(self, results: Sequence[Any]) -> str:
        """An HTML table of results (``StoryResult``s with ``hits``, or bare ``Hit``s)."""
        cell = "padding:6px 10px;border-bottom:1px solid #ddd;vertical-align:top"
        head = "".join(f"<th style='{cell};text-align:left;border-bottom:2px solid #333'>{h}</th>"
                       for h in ("#", "score", "title", "kind", "snippet"))
        rows = []
        for rank, result in enumerate(results, 1):
            hits = list(getattr(result, "hits", None) or [])
            best = hits[0] if hits else result
            score = getattr(result, "score", None)
            score_text = f"{score:.3f}" if isinstance(score, (int, float)) else html.escape(str(score or ""))
            title = getattr(result, "title", "") or getattr(best, "title", "") or "(untitled)"
            root = getattr(result, "root_id", None) or getattr(best, "root_id", None) or getattr(best, "item_id", "")
            url = _safe_url(getattr(result, "url", "") or getattr(best, "url", ""), root)
            kind = html.escape(str(getattr(best, "kind", "") or getattr(result, "kind", "")))
            if len(hits) > 1:
                kind += f"<br><span style='color:#666;font-size:13px'>{len(hits)} hits</span>"
            snippet = html.escape(viz.shorten(getattr(best, "text", "") or "", self.snippet_chars))
            link = (f"<a href='{html.escape(url, quote=True)}' target='_blank' rel='noopener noreferrer'>"
                    f"{html.escape(str(title))}</a>") if url else html.escape(str(title))
            rows.append(f"<tr><td style='{cell}'>{rank}</td><td style='{cell}'>{score_text}</td>"
                        f"<td style='{cell};min-width:16em'>{link}</td><td style='{cell}'>{kind}</td>"
                        f"<td style='{cell};color:#333'>{snippet}</td></tr>")
        return ("<table style='border-collapse:collapse;font-size:16px;width:100%'>"
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")

    @staticmethod
    def _message(text: str) -> str:
        return f"<div style='font-size:16px;color:#666;padding:8px 0'>{html.escape(text)}</div>"


def _safe_url(url: Any, root_id: Any) -> str:
    """The result's link: its http(s) URL, else its Hacker News discussion (never ``javascript:`` and the like)."""
    url = str(url or "").strip()
    if url.lower().startswith(("http://", "https://")):
        return url
    try:
        return f"https://news.ycombinator.com/item?id={int(root_id)}"
    except (TypeError, ValueError):
        return ""
