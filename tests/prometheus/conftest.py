"""A real Prometheus server (Debian package `prometheus`) scraping a small exporter run by the test."""

import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cutover.demo.local_servers import free_port

# Per scrape: (ok requests, failed requests, p99 ms) for each (env, namespace, service).
Traffic = dict[tuple[str, str, str], tuple[int, int, float]]
TRAFFIC: Traffic = {
    ("blue", "shop", "checkout"): (99, 1, 120.0),
    ("green", "shop", "checkout"): (90, 10, 310.0),
}
# Per scrape: each request's latency, as the cumulative count of a histogram's buckets (le in seconds).
Histograms = dict[tuple[str, str, str], dict[str, int]]
HISTOGRAMS: Histograms = {
    ("blue", "shop", "checkout"): {"0.05": 20, "0.1": 60, "0.25": 95, "0.5": 99, "1": 100, "+Inf": 100},
    ("green", "shop", "checkout"): {"0.05": 10, "0.1": 40, "0.25": 80, "0.5": 90, "1": 97, "+Inf": 100},
}


class Exporter:
    """Counters that grow by the traffic profile on every scrape, so rate() has something to say."""

    def __init__(self, traffic: Traffic, histograms: Histograms) -> None:
        self.traffic = traffic
        self.histograms = histograms
        self.scrapes = 0
        self.lock = threading.Lock()

    def render(self) -> bytes:
        with self.lock:
            self.scrapes += 1
            n = self.scrapes
        lines = ["# TYPE http_requests_total counter", "# TYPE request_latency_p99_ms gauge"]
        for (env, namespace, service), (ok, failed, p99) in self.traffic.items():
            labels = f'env="{env}",namespace="{namespace}",service="{service}"'
            lines.append(f'http_requests_total{{{labels},code="200"}} {ok * n}')
            lines.append(f'http_requests_total{{{labels},code="500"}} {failed * n}')
            lines.append(f"request_latency_p99_ms{{{labels}}} {p99}")
        lines.append("# TYPE http_request_duration_seconds histogram")
        for (env, namespace, service), buckets in self.histograms.items():
            labels = f'env="{env}",namespace="{namespace}",service="{service}"'
            for le, count in buckets.items():
                lines.append(f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {count * n}')
            lines.append(f"http_request_duration_seconds_count{{{labels}}} {buckets['+Inf'] * n}")
        return ("\n".join(lines) + "\n").encode()


def serve_exporter(exporter: Exporter) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = exporter.render()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def running_prometheus(folder: Path, traffic: Traffic, histograms: Histograms | None = None) -> Iterator[str]:
    """Prometheus on a loopback port scraping an exporter of traffic (and latency histograms) every
    second; yields its URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise RuntimeError("prometheus is not installed: apt-get install prometheus (.ci/run does)")
    exporter_server = serve_exporter(Exporter(traffic, histograms or {}))
    config = folder / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: exporter\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_server.server_port}']}}]\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/-/ready", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("prometheus did not become ready") from None
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        exporter_server.shutdown()


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_prometheus(tmp_path_factory.mktemp("prometheus"), TRAFFIC, HISTOGRAMS) as url:
        yield url
