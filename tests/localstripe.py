"""localstripe (a fake, stateful Stripe server) run once per test module that asks for it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

API_KEY = "sk_test_1234567890"  # localstripe takes any key of this shape


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {API_KEY}"}),
                               timeout=1).close()
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it is up
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    """The base URL of a localstripe of this module (its state starts empty: --from-scratch)."""
    executable = shutil.which("localstripe", path=os.path.dirname(sys.executable)) or shutil.which("localstripe")
    if executable is None:
        pytest.skip("localstripe is not installed: pip install localstripe")
    port, log = _free_port(), tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([executable, "--port", str(port), "--from-scratch"], stdout=output,
                                   stderr=subprocess.STDOUT)
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 20
    while not _answers(f"{base}/v1/customers"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.skip(f"localstripe did not start on port {port}: {log.read_text()[-500:]!r}")
        time.sleep(0.1)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
