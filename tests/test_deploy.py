"""The deploy files work as written: the shipped production config (deploy/config.yaml) starts the daemon with
its database in the state directory and /healthz answering on the ops port; the systemd unit passes
`systemd-analyze verify`; the sysusers file makes the webcare user; the Containerfile agrees with the config."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config.settings import load_settings
from tests.fake_x import TOKEN, RefusingProxy
from tests.conftest import WEBCARE
from tests.test_daemon import ROOT, wait_for
from tests.test_ops import get

DEPLOY = ROOT / "deploy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_config(etc: Path, web_port: int, ops_port: int) -> Path:
    """deploy/config.yaml as shipped, but for its two ports (8080 and 9090 may be taken on a test machine)."""
    text = (DEPLOY / "config.yaml").read_text(encoding="utf-8")
    text, web = re.subn(r"(?m)^(web:\n(?:  .*\n)*?  port:) 8080$", rf"\1 {web_port}", text)
    text, ops = re.subn(r"(?m)^(ops:\n(?:  .*\n)*?  port:) 9090$", rf"\1 {ops_port}", text)
    assert (web, ops) == (1, 1), "deploy/config.yaml no longer serves the web app on 8080 and ops on 9090"
    etc.mkdir(parents=True)
    path = etc / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_production_config_reads_x_with_its_state_in_var_lib_webcare() -> None:
    settings = load_settings(DEPLOY / "config.yaml", environ={})
    assert settings.database_path == Path("/var/lib/webcare/webcare.db")
    assert (settings.sources.x.enabled, settings.sources.replay.enabled) == (True, False)
    assert (settings.web.host, settings.web.port, settings.ops.host, settings.ops.port) == ("0.0.0.0", 8080,
                                                                                         "0.0.0.0", 9090)
    moved = load_settings(DEPLOY / "config.yaml", environ={"WEBCARE_STATE_DIR": "/srv/webcare"})
    assert moved.database_path == Path("/srv/webcare/webcare.db")


@pytest.mark.slow
def test_the_production_config_starts_healthy_with_the_database_in_the_state_dir(
        tmp_path: Path, proxy: RefusingProxy) -> None:
    web_port, ops_port = free_port(), free_port()
    config = production_config(tmp_path / "etc" / "webcare", web_port, ops_port)
    state = tmp_path / "var" / "lib" / "webcare"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    # WEBCARE_CONFIG names the config, as the systemd unit and the Containerfile set it.
    env.update(WEBCARE_STATE_DIR=str(state), X_BEARER_TOKEN=TOKEN, WEBCARE_CONFIG=str(config))
    # The daemon reaches X only through the refusing proxy on 127.0.0.1 (the test's own requests go direct).
    env.update(HTTPS_PROXY=proxy.url, HTTP_PROXY=proxy.url)
    proc = subprocess.Popen([*WEBCARE, "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    ops = f"http://127.0.0.1:{ops_port}"
    try:
        reports: list[dict[str, Any]] = []

        def x_failed_once() -> bool:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                status, body = get(ops + "/healthz")
            except OSError:  # not listening yet: the transformer is loading
                return False
            reports.append({"status_code": status, **json.loads(body)})
            return all(s["last_error_kind"] for s in reports[-1]["sources"])

        wait_for(x_failed_once, timeout=180)
        web: list[tuple[int, str]] = []

        def web_answers() -> bool:
            try:
                web.append(get(f"http://127.0.0.1:{web_port}/healthz"))
            except OSError:  # the review app starts just after the ops endpoints
                return False
            return True

        wait_for(web_answers, timeout=30)
        web_status, web_report = web[-1]
        login_status, login_page = get(f"http://127.0.0.1:{web_port}/login")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    report = reports[-1]
    # Up and healthy while X cannot be reached: the failing source is reported, the check passes (a 429 or an
    # outage of X is routine and must not make an orchestrator restart the daemon).
    assert (report["status_code"], report["status"], report["database"]["writable"]) == (200, "ok", True)
    # One source per brand handle (sources.x.accounts is empty), each failing as X cannot be reached.
    assert [x["source"] for x in report["sources"]] == ["x:mentions:Tulpair", "x:mentions:TulpairHelp"]
    for x in report["sources"]:
        assert (x["ok"], x["last_error_kind"]) == (False, "unavailable")
        assert x["last_error"].startswith(f"{x['source']}: cannot reach X (ProxyError); retrying in ")
    assert set(proxy.asked) == {"api.twitter.com:443"}
    assert (web_status, json.loads(web_report)["status"], login_status) == (200, "ok", 200)
    assert "Log in" in login_page
    # The state landed in the state dir, nowhere near the config.
    assert sorted(p.name for p in state.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["webcare.db"]
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.yaml"]
    with sqlite3.connect(state / "webcare.db") as db:
        assert {r[0] for r in db.execute("select source from source_status")} == {"x:mentions:Tulpair",
                                                                                  "x:mentions:TulpairHelp"}
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(f"database {state / 'webcare.db'}" in line["message"] for line in lines)  # JSON logs, as configured


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "webcare.service"
    # The unit as shipped, for the install folder: the project checked out in /opt/webcare with its .venv is this
    # checkout here, so verify can check that the commands exist.
    unit.write_text((DEPLOY / "webcare.service").read_text(encoding="utf-8").replace("/opt/webcare", str(ROOT)),
                    encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")  # warnings go to stderr with exit 0


def test_sysusers_makes_the_webcare_user_with_its_home_in_the_state_dir(tmp_path: Path) -> None:
    if shutil.which("systemd-sysusers") is None:
        pytest.skip("systemd-sysusers is not installed")
    (tmp_path / "etc").mkdir()
    result = subprocess.run(["systemd-sysusers", f"--root={tmp_path}", str(DEPLOY / "webcare.sysusers")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    [user] = [line.split(":") for line in (tmp_path / "etc" / "passwd").read_text().splitlines()
              if line.startswith("webcare:")]
    assert (user[5], user[6]) == ("/var/lib/webcare", "/usr/sbin/nologin")
    assert any(line.startswith("webcare:") for line in (tmp_path / "etc" / "group").read_text().splitlines())
    unit = (DEPLOY / "webcare.service").read_text(encoding="utf-8")
    assert "User=webcare\nGroup=webcare\n" in unit and "StateDirectory=webcare\n" in unit


def test_the_containerfile_serves_what_the_production_config_says() -> None:
    """podman cannot build the image here (no registry for the base image): its lines are checked against the
    config instead."""
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    settings = load_settings(DEPLOY / "config.yaml", environ={})
    assert "COPY deploy/config.yaml /etc/webcare/config.yaml\n" in text
    assert 'CMD ["webcare", "run"]' in text and " WEBCARE_CONFIG=/etc/webcare/config.yaml " in text
    assert f'VOLUME ["{settings.database_path.parent}"]' in text
    assert f"EXPOSE {settings.web.port} {settings.ops.port}\n" in text
    assert f"http://127.0.0.1:{settings.ops.port}/healthz" in text
    assert "useradd --system --user-group --home-dir /var/lib/webcare" in text and "\nUSER webcare\n" in text
    assert (settings.web.host, settings.ops.host) == ("0.0.0.0", "0.0.0.0")  # reachable through -p


@pytest.mark.parametrize("command", [[*WEBCARE, "--config", "{config}", "run"],
                                     [sys.executable, str(ROOT / "run_bot.py"), "--config", "{config}"]],
                         ids=["webcare run", "run_bot.py"])
def test_without_the_bearer_token_the_daemon_refuses_to_start_with_exit_2(tmp_path: Path, command: list[str]) -> None:
    config = production_config(tmp_path / "etc", free_port(), free_port())
    env = {k: v for k, v in os.environ.items() if k != "X_BEARER_TOKEN"}
    result = subprocess.run([a.format(config=config) for a in command], cwd=ROOT,
                            env={**env, "WEBCARE_STATE_DIR": str(tmp_path / "state")}, capture_output=True,
                            text=True, timeout=120)
    assert (result.returncode, result.stderr) == (2, (  # the unit's RestartPreventExitStatus=2: no restart loop
        "Error: X: the environment variable X_BEARER_TOKEN is not set; set it to the bearer token of your X app "
        "(developer.x.com, Keys and tokens) before starting the bot\n"))
    assert "RestartPreventExitStatus=2\n" in (DEPLOY / "webcare.service").read_text(encoding="utf-8")
