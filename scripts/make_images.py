"""Make every picture the README shows, from one run on the bundled sample: `make images` (use an idle machine).

1. Capacity: replay the sample as fast as possible and measure chunks/s.
2. The live dashboard: replay it again, paced so the busiest 10 s of the recording arrive at half that capacity,
   with the dashboard redrawing every second; its last frame is docs/images/06_live_dashboard.png. The picture is
   only written when the run kept up (freshness p95 <= 2 s); otherwise the script says so and exits 1.
3. The vector-neighbourhood map of that collection, coloured by the sample's known topics, with a question and
   its nearest chunks: docs/images/06_neighbourhood_map.png.

Notebooks never write into the repository; this script is the one place these pictures come from.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

from streamrag import flow  # noqa: E402
from streamrag.bench import peak_chunk_rate  # noqa: E402
from streamrag.config import PROJECT_ROOT, SAMPLE_RECORDING  # noqa: E402
from streamrag.embed import Embedder  # noqa: E402
from streamrag.notebook import space, viz  # noqa: E402
from streamrag.notebook.dashboard import LiveDashboard  # noqa: E402
from streamrag.notebook.helpers import recorded_chunks, work_config, work_dir  # noqa: E402
from streamrag.store import close_all  # noqa: E402

IMAGES = PROJECT_ROOT / "docs" / "images"
QUESTION = "how do I make Postgres vacuum keep up with heavy writes"
MAX_P95_S = 2.0


def capacity(work: Path) -> float:
    """Chunks/s of an as-fast-as-possible replay of the sample (model load excluded)."""
    cfg = work_config(work, db="capacity.db")
    cfg.source.kind, cfg.source.speed = "replay", 0.0
    summary = flow.run(cfg)
    close_all()
    return summary["chunks_per_s"]


def dashboard_run(work: Path, speed: float) -> tuple[dict, bytes, str]:
    """The paced replay with the dashboard drawing; returns the summary, the last frame and the database."""
    cfg = work_config(work)
    cfg.source.kind, cfg.source.speed = "replay", speed
    thread = flow.PipelineThread(cfg)
    dash = LiveDashboard(thread, refresh_s=1.0, source_name=f"replay of the sample at {speed:g}x")
    thread.start()
    dash.start()
    thread.join()
    dash.close()
    png = dash.refresh()
    return thread.summary or {}, png, cfg.sink.uri


def neighbourhood_map(uri: str):
    """The map of everything ingested, each chunk coloured by its story's topic."""
    data = space.load_vectors(uri, "hn_chunks")
    topic_of = json.loads((SAMPLE_RECORDING / "topics.json").read_text(encoding="utf-8"))
    topics = [topic_of.get(str(root), "other") for root in data["root_id"]]
    query_vector = Embedder().encode([QUESTION])[0]
    return space.plot_neighbourhood_map(data["vectors"], groups=topics,  # named by topic, not by TF-IDF terms
                                        query_vector=query_vector, query_text=QUESTION, k=5, group_title="topic")


def main() -> int:
    work = work_dir("images")
    started = time.perf_counter()
    cap = capacity(work)
    peak = peak_chunk_rate(SAMPLE_RECORDING, recorded_chunks(SAMPLE_RECORDING))
    speed = round(0.5 * cap / peak, 2)
    print(f"capacity {cap:.1f} chunks/s; the sample's busiest 10 s bring {peak:.2f} chunks/s at 1x: pace {speed}x")
    summary, png, uri = dashboard_run(work, speed)
    p50, p95 = summary.get("freshness_p50_s"), summary.get("freshness_p95_s")
    print(f"paced run: {summary.get('chunks_written')} chunks, freshness p50 {p50} s, p95 {p95} s, "
          f"mean embed batch {summary.get('embed_batch_mean')}")
    if p95 is None or p95 > MAX_P95_S:
        print(f"freshness p95 {p95} s > {MAX_P95_S} s: the pipeline did not keep up (is the machine busy?); "
              "no pictures written", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    (IMAGES / "06_live_dashboard.png").write_bytes(png)
    viz.save_figure(neighbourhood_map(uri), IMAGES / "06_neighbourhood_map.png")
    close_all()
    print(f"wrote {IMAGES / '06_live_dashboard.png'} and {IMAGES / '06_neighbourhood_map.png'} "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
