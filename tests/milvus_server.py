"""A real standalone Milvus server for tests: PyPI's ``milvus==2.3.5`` (``milvus-server``), every component on a free
loopback port. Milvus 2.3 has no BM25 and no INVERTED scalar index, so it tests that the store adapts."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from streamrag.store.lite_server import free_port

COMPONENTS = ("etcd", "root-coord", "proxy", "proxy-internal", "query-coord", "query-node", "index-coord",
              "index-node", "data-coord", "data-node")


def executable() -> str | None:
    """``milvus-server`` next to this Python (or on PATH), or None when the package is not installed."""
    return shutil.which("milvus-server", path=str(Path(sys.executable).parent)) or shutil.which("milvus-server")


class MilvusServer:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.ports = {name: free_port() for name in COMPONENTS}
        self.uri = f"http://127.0.0.1:{self.ports['proxy']}"
        self.log = data_dir / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 180.0) -> "MilvusServer":
        from streamrag.store.milvus import connect

        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [executable() or "milvus-server", "--data", str(self.data_dir)]
        cmd += [arg for name, port in self.ports.items() for arg in (f"--{name}-port", str(port))]
        self.process = subprocess.Popen(cmd, stdout=open(self.log, "wb"), stderr=subprocess.STDOUT,
                                        start_new_session=True)  # its own group: etcd and milvus stop together
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"milvus-server exited with {self.process.returncode}; see {self.log}")
            try:
                socket.create_connection(("127.0.0.1", self.ports["proxy"]), timeout=1).close()
                connect(self.uri, timeout_s=30).get_server_version()
                return self
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"milvus-server did not answer within {timeout_s:g} s; see {self.log}")
                time.sleep(1)

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM the whole process group (the launcher, etcd and milvus), SIGKILL what is left after ``grace_s``:
        milvus itself may outlive its launcher."""
        if self.process is None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            self.process.poll()
            try:
                os.killpg(group, 0)  # anyone left in the group?
            except ProcessLookupError:
                return
            time.sleep(0.5)
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
