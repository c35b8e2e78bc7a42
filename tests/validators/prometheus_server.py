"""Debian's Prometheus serving synthetic series, for the tests that ask it our PromQL (the canary
analysis, the autoscaling triggers): OpenMetrics lines turned into a TSDB block by ``promtool tsdb
create-blocks-from openmetrics`` and served on a free local port, stopped afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")


def openmetrics_text(lines: list[str]) -> str:
    """The sample lines grouped by series (OpenMetrics wants each series' samples together), with the EOF marker."""
    by_series: dict[str, list[str]] = {}
    for line in lines:
        by_series.setdefault(line.rsplit(" ", 2)[0], []).append(line)
    return "\n".join(line for series in by_series.values() for line in series) + "\n# EOF\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-2000:]
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"prometheus not ready in 20 s: {log.read_text()[-2000:]}")


@contextmanager
def served(openmetrics: str, root: Path) -> Iterator[str]:
    """The URL of a Prometheus serving ``openmetrics`` from a TSDB under ``root``, stopped on exit."""
    assert PROMETHEUS and PROMTOOL, "prometheus/promtool missing: install Debian's prometheus (make prometheus-tools)"
    source, tsdb, config, log = root / "series.om.txt", root / "tsdb", root / "prometheus.yml", root / "prometheus.log"
    source.write_text(openmetrics)
    config.write_text("global: {}\n")
    made = subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    url = f"http://127.0.0.1:{_free_port()}"
    server = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tsdb}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address={url.removeprefix('http://')}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        _wait_ready(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
