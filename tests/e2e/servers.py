"""Start JupyterLab, Notebook 7 or Voila on 127.0.0.1 for browser tests, and stop them."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

# Each notebook's cells: a Playground, the same widget shown a second time, and a probe that
# prints the start of the first run (re-run by the tests after clicking the landscape).
PLAYGROUND_CELLS = [
    "import gdwidget as gd\n"
    "w = gd.Playground(\n"
    "    gd.functions.rosenbrock(),\n"
    "    {'gd': gd.optim.sgd(1e-3), 'momentum': gd.optim.sgd(1e-3, momentum=0.9),\n"
    "     'rmsprop': gd.optim.rmsprop(1e-2), 'adam': gd.optim.adam(0.05)},\n"
    "    start=(-1.5, 2.0), device='cpu', speed=60, grad_tol=0.0)\n"
    "w",
    "w",
    "print('START', [round(float(v), 2) for v in w.history.xy[0, 0]], 'T', w.t)",
]


def notebook_json(cells: list[str]) -> str:
    """A minimal nbformat 4 notebook with these code cells."""
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": f"cell{i}",
                    "metadata": {},
                    "outputs": [],
                    "source": src,
                }
                for i, src in enumerate(cells)
            ],
            "metadata": {
                "kernelspec": {
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                    "name": "python3",
                },
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    kind: str
    root: Path
    port: int
    token: str
    proc: subprocess.Popen
    log_path: Path
    notebook: str = "play.ipynb"
    extra: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_url(self) -> str:
        if self.kind == "lab":
            return f"{self.base}/lab/tree/{self.notebook}?token={self.token}&reset"
        if self.kind == "notebook":
            return f"{self.base}/notebooks/{self.notebook}?token={self.token}"
        return f"{self.base}/?token={self.token}"

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def log_size(self) -> int:
        """Bytes written to the server's log so far (a mark for :meth:`log_since`)."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        """What the server logged after byte ``offset``."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the server (it shuts its kernels down), then end its own process group."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:  # kernels that outlived the server belong to the group we started
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(timeout=5)


def start(kind: str, root: Path, notebook: str = "play.ipynb", timeout: float = 90.0) -> Server:
    """Start ``kind`` ("lab", "notebook" or "voila") serving ``root`` and wait until it answers."""
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        d = root.parent / f".{kind}-{sub}"
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    env["PYTHONUNBUFFERED"] = "1"
    # no "Would you like to get notified about Jupyter news?" toast over the widget
    if kind == "lab":  # (Notebook 7 has no such setting and fails to load it)
        news = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)
        (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    server_flags = [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        server_flags.append("--ServerApp.allow_root=True")
    if kind == "lab":
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            *server_flags,
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
        ]
    elif kind == "notebook":
        cmd = [
            sys.executable,
            "-m",
            "notebook",
            *server_flags,
            "--JupyterNotebookApp.expose_app_in_browser=True",
        ]
    elif kind == "voila":
        cmd = [
            sys.executable,
            "-m",
            "voila",
            str(root / notebook),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            f"--token={token}",
            "--show_tracebacks=True",
        ]
    else:
        raise ValueError(kind)
    log_path = root.parent / f"{kind}-server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(kind, root, port, token, proc, log_path, notebook)
    probe = f"{server.base}/api/status?token={token}" if kind != "voila" else None
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited early:\n{server.log_tail()}")
        try:
            if probe is not None:
                with urllib.request.urlopen(probe, timeout=2) as r:
                    if r.status == 200:
                        return server
            else:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"{kind} did not answer within {timeout:.0f} s:\n{server.log_tail()}")
