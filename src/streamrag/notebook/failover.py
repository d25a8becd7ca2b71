"""Live Hacker News with an automatic fallback to a recording, for talks on bad Wi-Fi.

``LiveWithFallback`` runs the pipeline on live HN in a :class:`streamrag.flow.PipelineThread`. A supervisor
thread watches it. When live HN cannot be reached at the start (a probe of ``/maxitem.json``), or when items
stop arriving for ``stall_s`` seconds AND the HN API stops answering (the Wi-Fi died, not just a quiet
minute on HN), it stops the live run cleanly and replays a recording into the SAME collection, in the same
process: no kernel restart, nothing to retype on stage::

    run = LiveWithFallback(config).start()
    dash = LiveDashboard(run, source_name="live HN, sample as fallback").start()
    ...
    run.events      # [(unix time, "live HN stalled ... switching to the recording"), ...]
    run.stop()      # or run.join() to wait for the replay to end

Both runs count into one ``RunMetrics`` (``.metrics``), so a dashboard keeps one continuous history.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ..config import SAMPLE_RECORDING, Config
from ..flow import PipelineThread
from ..metrics import RunMetrics

logger = logging.getLogger(__name__)

__all__ = ["LiveWithFallback"]


class LiveWithFallback:
    """Live HN in a background pipeline, replaced by a replay of ``recording`` when the network goes away.

    ``config``: the run's configuration (its source section gives the HN API, polling and limits; the
    source kind is forced to ``live`` first and ``replay`` after a switch). ``recording``: what to replay.
    ``stall_s``: how long without a new item before the API is probed. ``probe_every_s``: how often the
    supervisor probes the API while items are not arriving. ``replay_speed``: the replay's pace (recorded
    seconds / speed; 10 plays the bundled sample in about 12 s, 0 as fast as possible).

    Behaves like a ``PipelineThread`` for the dashboard and the notebook: ``start()``, ``stop()``,
    ``join()``, ``is_alive()``, ``metrics``, ``summary``, ``error``, ``handle``; plus ``events`` (a list of
    ``(unix time, message)``), ``mode`` (``"live"``, ``"replay"`` or ``"stopped"``) and ``current`` (the
    ``PipelineThread`` running now).
    """

    def __init__(self, config: Config, recording: str | Path = SAMPLE_RECORDING, stall_s: float = 15.0,
                 probe_every_s: float = 5.0, replay_speed: float = 10.0, probe_timeout_s: float | None = None,
                 on_event: Callable[[str], None] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.recording = Path(recording)
        self.stall_s = float(stall_s)
        self.probe_every_s = float(probe_every_s)
        self.replay_speed = float(replay_speed)
        self.probe_timeout_s = float(probe_timeout_s if probe_timeout_s is not None
                                     else config.source.probe_timeout_s)
        self.on_event = on_event
        self.clock = clock
        self.events: list[tuple[float, str]] = []
        self.metrics = RunMetrics(config.run.errors_path, config.run.metrics_path)  # both runs count here, one clock
        self.current: PipelineThread | None = None
        self.live: PipelineThread | None = None
        self.replay: PipelineThread | None = None
        self.mode = "not started"
        self._stop = threading.Event()
        self._switch_lock = threading.Lock()
        self._supervisor: threading.Thread | None = None

    # -- announcing --------------------------------------------------------------------------------------
    def announce(self, message: str) -> None:
        """Record an event (and log it) so the notebook or the dashboard can show it."""
        self.events.append((self.clock(), message))
        logger.warning("%s", message)
        if self.on_event is not None:
            try:
                self.on_event(message)
            except Exception:  # a display callback must not stop the supervisor
                logger.exception("on_event callback failed")

    # -- building the two runs ----------------------------------------------------------------------------
    def _thread(self, config: Config) -> PipelineThread:
        thread = PipelineThread(config)
        thread.handle.pipeline.metrics = self.metrics  # both runs count into the shared metrics
        thread.metrics = self.metrics
        # Load the model and open the collection now: a first run spends seconds loading the model, and
        # that quiet time must not count as a stall (later warm-ups are instant: the model is cached).
        thread.handle.pipeline.warm_up()
        return thread

    def _live_config(self) -> Config:
        cfg = copy.deepcopy(self.config)
        cfg.source.kind = "live"
        cfg.run.metrics_path = None  # the shared metrics own the metrics file (a new RunMetrics would empty it)
        return cfg

    def _replay_config(self) -> Config:
        cfg = copy.deepcopy(self.config)
        cfg.source.kind = "replay"
        cfg.source.recording = self.recording
        cfg.source.speed = self.replay_speed
        cfg.sink.reset = False  # never drop what the live run already wrote
        cfg.run.recovery_dir = None  # a recovery store holds the live source's state, not the replay's
        cfg.run.metrics_path = None
        return cfg

    def _probe(self) -> bool:
        from ..sources.hn import probe

        return probe(self.config.source.hn_api, self.probe_timeout_s)

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> "LiveWithFallback":
        """Probe live HN, start the live run (or the replay straight away) and the supervisor."""
        if self._supervisor is not None:
            raise RuntimeError("already started")
        api = self.config.source.hn_api
        if self._probe():
            self.live = self._thread(self._live_config())
            self.current, self.mode = self.live, "live"
            self.announce(f"live HN answers at {api}: streaming live")
            self.live.start()
        else:
            self.announce(f"live HN did not answer at {api} within {self.probe_timeout_s:g} s: "
                          f"replaying {self.recording.name} instead")
            self._start_replay()
        self._supervisor = threading.Thread(target=self._supervise, name="streamrag-failover", daemon=True)
        self._supervisor.start()
        return self

    def _start_replay(self) -> None:
        self.replay = self._thread(self._replay_config())
        self.current, self.mode = self.replay, "replay"
        self.announce(f"replaying {self.recording} at {self.replay_speed:g}x into the same collection")
        self.replay.start()

    def switch_to_replay(self, reason: str) -> None:
        """Stop the live run (in-flight work drains) and start the replay. Safe to call once or many times."""
        with self._switch_lock:
            if self.mode != "live" or self._stop.is_set():
                return
            self.announce(f"{reason}: stopping the live run and switching to the recording")
            live = self.live
            assert live is not None
            live.stop(timeout=30.0)
            if live.is_alive():
                self.announce("the live run is still draining after 30 s; the replay starts anyway")
            self._start_replay()

    def _supervise(self) -> None:
        tick = max(0.05, min(1.0, self.probe_every_s / 2, self.stall_s / 4))
        last_seen = self.metrics.counts.get("items_seen", 0)
        last_change = time.monotonic()
        next_probe = 0.0
        while not self._stop.wait(tick):
            current = self.current
            if self.mode != "live":
                if current is not None and current.ident is not None and not current.is_alive():
                    break  # the replay ended
                continue
            assert current is not None
            seen = self.metrics.counts.get("items_seen", 0)
            now = time.monotonic()
            if seen != last_seen:
                last_seen, last_change = seen, now
            if not current.is_alive():
                if current.error is not None:
                    self.switch_to_replay(f"the live run failed ({current.error.__class__.__name__})")
                    continue
                self.announce("the live run ended")
                break
            if now - last_change >= self.stall_s and now >= next_probe:
                next_probe = now + self.probe_every_s
                if not self._probe():
                    self.switch_to_replay(f"no new item for {now - last_change:.0f} s and the HN API "
                                          f"does not answer")
        if not self._stop.is_set():
            self.mode = "finished"
            self.announce(f"finished: {self.metrics.counts.get('chunks_written', 0)} chunks written in all")

    def stop(self, timeout: float = 30.0) -> dict[str, Any] | None:
        """Stop whatever runs now (in-flight work drains) and the supervisor; returns the summary."""
        with self._switch_lock:
            self._stop.set()
            current = self.current
        if current is not None and current.ident is not None:
            current.stop(timeout)
        if self._supervisor is not None and self._supervisor is not threading.current_thread():
            self._supervisor.join(timeout=5)
        if self.mode not in ("finished", "stopped"):
            self.mode = "stopped"
            self.announce("stopped")
        return self.summary

    def join(self, timeout: float | None = None) -> None:
        """Wait until the run ends by itself (the replay reaches its end) or is stopped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_alive():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return
            supervisor = self._supervisor
            if supervisor is None:
                return
            supervisor.join(0.2 if left is None else min(0.2, left))
        if self.current is not None and self.current.ident is not None:
            self.current.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    # -- what the dashboard reads ----------------------------------------------------------------------------
    def is_alive(self) -> bool:
        supervisor = self._supervisor
        current = self.current
        return bool((supervisor is not None and supervisor.is_alive())
                    or (current is not None and current.ident is not None and current.is_alive()))

    @property
    def ident(self) -> int | None:
        return self._supervisor.ident if self._supervisor is not None else None

    @property
    def handle(self):
        return self.current.handle if self.current is not None else None

    @property
    def source_description(self) -> str:
        handle = self.handle
        return handle.source_description if handle is not None else ""

    @property
    def error(self) -> BaseException | None:
        return self.current.error if self.current is not None else None

    @property
    def summary(self) -> dict[str, Any] | None:
        summary = self.current.summary if self.current is not None else None
        if summary is not None:
            summary = dict(summary, mode=self.mode, switches=[message for _, message in self.events])
        return summary

    def __repr__(self) -> str:
        return f"<LiveWithFallback mode={self.mode} events={len(self.events)}>"
