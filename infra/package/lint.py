"""cfn-lint over the generated templates: errors fail the build, warnings are printed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REGION = "eu-west-1"

# Rules switched off, each with its reason. Keep this empty unless a finding is wrong for this project.
IGNORED_CHECKS: dict[str, str] = {}


@dataclass(frozen=True)
class Finding:
    level: str      # Error, Warning, Informational
    rule: str
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{Path(self.path).parent.name}/{Path(self.path).name}:{self.line}"
        return f"{self.level[0]} {self.rule} {where} {self.message}"


def cfn_lint_executable() -> str:
    beside = Path(sys.executable).parent / "cfn-lint"
    return str(beside) if beside.exists() else (shutil.which("cfn-lint") or "cfn-lint")


def command(templates: list[Path], fmt: str = "json") -> list[str]:
    cmd = [cfn_lint_executable(), "--format", fmt, "--regions", REGION]
    if IGNORED_CHECKS:
        cmd += ["--ignore-checks", *IGNORED_CHECKS]
    return [*cmd, "--", *map(str, templates)]


def lint(templates: list[Path]) -> tuple[int, list[Finding]]:
    """Run cfn-lint once over all templates; returns its exit code and the findings."""
    proc = subprocess.run(command(templates), capture_output=True, text=True, check=False)
    if proc.returncode & 1 or not proc.stdout.strip().startswith("["):
        # Exit bit 1 is a fatal cfn-lint error (unreadable template, bad option): show it as one.
        return proc.returncode | 2, [Finding("Error", "cfn-lint", str(templates[0]), 0,
                                             (proc.stderr or proc.stdout).strip()[:2000])]
    findings = [
        Finding(m["Level"], m["Rule"]["Id"], m["Filename"] or "", m["Location"]["Start"]["LineNumber"], m["Message"])
        for m in json.loads(proc.stdout)
    ]
    return proc.returncode, findings
