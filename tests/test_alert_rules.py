"""The Prometheus alerting rules in deploy/ are valid and do what their unit tests say (promtool, from Debian's
prometheus package; `make test` installs it). Skipped only outside CI when promtool is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


@pytest.fixture
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing in CI: `make test` installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def test_the_alerting_rules_are_valid(promtool: str) -> None:
    run = subprocess.run([promtool, "check", "rules", str(DEPLOY / "alerts.yml")], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS: 8 rules found" in run.stdout


def test_the_alerting_rules_pass_their_unit_tests(promtool: str) -> None:
    run = subprocess.run([promtool, "test", "rules", str(DEPLOY / "alerts.test.yml")], capture_output=True,
                         text=True, timeout=60, cwd=DEPLOY)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout


def test_every_metric_the_rules_read_is_served(promtool: str) -> None:
    """A rule on a metric the daemon does not serve would never fire: each one named is in bot/ops."""
    rules = (DEPLOY / "alerts.yml").read_text(encoding="utf-8")
    served = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot" / "ops").glob("*.py"))
    for metric in set(re.findall(r"\b(webcare_[a-z_]+)", rules)):
        assert metric.removesuffix("_total") in served, metric
