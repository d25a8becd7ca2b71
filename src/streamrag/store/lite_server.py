"""A Milvus Lite *server* on loopback, for several processes sharing one database (a Lite file has one owner).

    with LiteServer(work / "server") as server:      # picks a free port, waits until it answers
        cfg.sink.uri = server.uri                     # http://127.0.0.1:<port>, like any Milvus server

The same as running ``milvus-lite server --data-dir DIR --port P`` in a terminal.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from . import StoreError

log = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port nothing listens on right now (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiteServer:
    """``milvus-lite server`` in a child process: ``start()`` waits until it answers, ``stop()`` ends it."""

    def __init__(self, data_dir: str | Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        """The command line it runs (the ``milvus-lite`` script next to this Python, else the module)."""
        exe = shutil.which("milvus-lite", path=str(Path(sys.executable).parent)) or shutil.which("milvus-lite")
        cmd = [exe] if exe else [sys.executable, "-m", "milvus_lite"]
        return cmd + ["server", "--data-dir", str(self.data_dir), "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self, timeout_s: float = 60.0) -> "LiteServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise StoreError(f"milvus-lite server exited with code {self.process.returncode}: "
                                 f"run `{' '.join(self.command)}` to see why")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                log.info("milvus-lite server answers at %s", self.uri)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise StoreError(f"milvus-lite server did not answer on port {self.port} within {timeout_s:g} s")
                time.sleep(0.2)

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """Terminate it and return its exit code (-15: it ended on our SIGTERM)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> "LiteServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
