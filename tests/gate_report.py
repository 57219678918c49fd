"""A pytest plugin (`-p tests.gate_report` in pyproject.toml) that prints the figures of the gates.

A gate test hands its lines to the `report_line` fixture; they travel with the test's report (as user
properties), so the process that writes the terminal prints them, also under pytest-xdist, whose
workers' own output is not shown.
"""

from __future__ import annotations

import pytest

KEY = "gate-report"


@pytest.fixture
def report_line(request):
    def add(line: str) -> None:
        request.node.user_properties.append((KEY, line))

    return add


_config = None


def pytest_configure(config) -> None:
    global _config
    _config = config


def pytest_runtest_logreport(report) -> None:
    lines = [value for key, value in report.user_properties if key == KEY] if report.when == "call" else []
    if not lines or _config is None or hasattr(_config, "workerinput"):  # an xdist worker: the controller prints
        return
    reporter = _config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    reporter.write("\n")  # after the progress dots
    for line in lines:
        reporter.write_line(line)
