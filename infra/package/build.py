"""Package every service: stage, vendor the library, `chalice package`, merge resources, smoke-import, lint.

Layout of the output directory:

    <out>/src/<svc>/          staged copy that chalice packages (app.py, .chalice/config.json,
                              requirements.txt, vendor/<svc>_service, vendor/portal_common without
                              testing/); chalice's own template is kept there as chalice.sam.json
    <out>/<svc>/sam.json      the completed SAM template; deployment.zip next to it (CodeUri ./deployment.zip)
    <out>/shared/template.json  topic, custom domain, base-path mappings
    <out>/summary.json        per service: time, resources, zip size, problems; cfn-lint findings
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import lint, merge, shared

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "libs" / "portal_common" / "portal_common"
PROBE = Path(__file__).with_name("probe.py")
REGION = "eu-west-1"
# Only so the apps import during packaging: settings refuse to start outside local/test without a key.
DUMMY_CURSOR_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
STAGED = ("app.py", "requirements.txt", ".chalice/config.json")
NOT_SHIPPED = ("portal_common/testing/", "infra/", "tests/", "vendor/")
MAX_UNZIPPED = 250 * 1024 * 1024  # Lambda's limit for a function's unzipped code


class ServiceFailed(RuntimeError):
    pass


@dataclass
class ServiceResult:
    service: str
    ok: bool = False
    seconds: float = 0.0
    chalice_seconds: float = 0.0
    resources: int = 0
    zip_bytes: int = 0
    unzipped_bytes: int = 0
    template: str = ""
    api_stage: str = "api"
    problems: list[str] = field(default_factory=list)


def build_env(stage: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PORTAL_", "AWS_")) and k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env.update({
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
        "PORTAL_STAGE": stage, "PORTAL_CURSOR_KEY": DUMMY_CURSOR_KEY, "PORTAL_LOG_LEVEL": "WARNING",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # Importing the staged app must not leave __pycache__ behind: chalice would ship it and its
        # package cache (keyed by a hash of the files) would miss.
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def discover(services_root: Path) -> list[str]:
    return sorted(p.parent.name for p in services_root.glob("*/app.py") if (p.parent / ".chalice").is_dir())


# -- steps -----------------------------------------------------------------------------------------
def stage_service(source: Path, staged: Path) -> None:
    """A clean copy of what chalice packages; chalice's hash-keyed package cache survives re-staging."""
    cache = staged / ".chalice" / "deployments"
    keep = None
    if cache.is_dir():
        keep = Path(tempfile.mkdtemp(prefix="chalice-deployments-"))
        shutil.move(str(cache), keep / "deployments")
    shutil.rmtree(staged, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for rel in STAGED:
        src, dst = source / rel, staged / rel
        if not src.exists():
            raise ServiceFailed(f"{source.name}: {rel} is missing")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=ignore)
        else:
            shutil.copy2(src, dst)
    # The service's own package and the shared library are vendored here, at packaging, never copied into the
    # repository by hand (chalice ships vendor/ as it is).
    package = source / f"{source.name}_service"
    if not package.is_dir():
        raise ServiceFailed(f"{source.name}: the package {package.name}/ is missing")
    shutil.copytree(package, staged / "vendor" / package.name, ignore=ignore)
    shutil.copytree(LIBRARY, staged / "vendor" / "portal_common",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "testing"))
    if keep is not None:
        shutil.move(str(keep / "deployments"), cache)
        shutil.rmtree(keep, ignore_errors=True)


def run_probe(paths: list[Path], env: dict[str, str], *, isolated: bool = False) -> dict[str, Any]:
    flags = ["-I", "-S"] if isolated else []
    proc = subprocess.run([sys.executable, *flags, str(PROBE), *map(str, paths)], env=env, cwd=paths[0],
                          capture_output=True, text=True, check=False, timeout=120)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode or not lines:
        raise ServiceFailed(f"probe crashed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return dict(json.loads(lines[-1]))


def check_handlers(probe: dict[str, Any]) -> None:
    """Every Lambda handler chalice names (`app.<function>`) must exist in the service's app.py.

    The service's app.py names each of them (`app.entry_points(...)` for the ones the library registers); a
    handler that does not resolve would fail at the Lambda's first call.
    """
    missing = [h["handler"] for h in probe["handlers"] if not h["resolves"]]
    if missing:
        raise ServiceFailed(f"Lambda handlers missing on module app: {', '.join(missing)}")


def chalice_executable() -> str:
    beside = Path(sys.executable).parent / "chalice"
    return str(beside) if beside.exists() else (shutil.which("chalice") or "chalice")


def package_cache(service: str) -> Path:
    """Where chalice's dependency zips of `service` are kept between builds (and between clean checkouts on
    one machine, as pip keeps its wheels): `OUDERPORTAAL_PACKAGE_CACHE`, else ~/.cache/ouderportaal/chalice.
    Chalice names each zip by a hash of the requirements, so a changed requirement builds a new one."""
    root = os.environ.get("OUDERPORTAAL_PACKAGE_CACHE") or str(Path.home() / ".cache" / "ouderportaal" / "chalice")
    return Path(root) / service


def _share_cache(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for zip_path in source.glob("*.zip") if source.is_dir() else ():
        if not (target / zip_path.name).exists():
            shutil.copy2(zip_path, target / zip_path.name)


def chalice_package(staged: Path, out: Path, stage: str, env: dict[str, str]) -> None:
    """`chalice package`; it pip-downloads Lambda (manylinux) wheels unless its package cache has the zip."""
    shutil.rmtree(out, ignore_errors=True)
    cache = staged / ".chalice" / "deployments"
    _share_cache(package_cache(staged.name), cache)
    before = set(cache.glob("*.zip"))
    proc = subprocess.run([chalice_executable(), "package", "--stage", stage, "--pkg-format", "cloudformation",
                           str(out)], cwd=staged, env=env, capture_output=True, text=True, check=False, timeout=900)
    if proc.returncode:
        raise ServiceFailed(f"chalice package failed (exit {proc.returncode}):\n{(proc.stderr or proc.stdout)[-3000:]}")
    if set(cache.glob("*.zip")) - before:  # a new package was built: the older ones are stale
        for old in before:
            old.unlink()
        _share_cache(cache, package_cache(staged.name))


def check_zip(zip_path: Path, result: ServiceResult, env: dict[str, str], template: dict[str, Any]) -> None:
    """The zip ships the library (without testing/) and imports on its own; every handler resolves."""
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        result.zip_bytes = zip_path.stat().st_size
        result.unzipped_bytes = sum(i.file_size for i in z.infolist())
        for package in ("portal_common", f"{result.service}_service"):
            if f"{package}/__init__.py" not in names:
                result.problems.append(f"deployment.zip lacks {package}/")
        leaked = sorted({p for n in names for p in NOT_SHIPPED if n.startswith(p)})
        if leaked:
            result.problems.append(f"deployment.zip ships {leaked}")
        if result.unzipped_bytes > MAX_UNZIPPED:
            result.problems.append(f"unzipped package {result.unzipped_bytes} bytes exceeds Lambda's 250 MB")
        with tempfile.TemporaryDirectory(prefix="smoke-") as tmp:
            z.extractall(tmp)
            smoke = run_probe([Path(tmp)], {**env, "PYTHONDONTWRITEBYTECODE": "1"}, isolated=True)
    if not smoke["ok"]:
        result.problems.append(f"deployment.zip does not import on its own (missing requirement?): {smoke['error']}")
        return
    if not smoke["library"].startswith(tmp):
        result.problems.append(f"smoke import used {smoke['library']}, not the vendored library")
    attrs = {h["handler"]: h["resolves"] for h in smoke["handlers"]}
    for fid, fn in template["Resources"].items():
        if fn.get("Type") == merge.SERVERLESS_FUNCTION:
            handler = fn["Properties"]["Handler"]
            if handler != "app.app" and not attrs.get(handler):
                result.problems.append(f"{fid}: handler {handler} does not resolve in the package")


def package_service(name: str, services_root: Path, out: Path, stage: str) -> ServiceResult:
    result = ServiceResult(name)
    started = time.monotonic()
    env = build_env(stage)
    staged = out / "src" / name
    try:
        stage_service(services_root / name, staged)
        config = json.loads((staged / ".chalice" / "config.json").read_text())
        result.api_stage = config.get("stages", {}).get(stage, {}).get("api_gateway_stage") or config.get(
            "api_gateway_stage", "api")
        probe = run_probe([staged, staged / "vendor"], env)
        if not probe["ok"]:
            raise ServiceFailed(f"app does not import for stage {stage}: {probe['error']}\n{probe['traceback']}")
        if not probe["library"].startswith(str(staged / "vendor")):
            raise ServiceFailed(f"app imported {probe['library']}, not the vendored library")
        check_handlers(probe)

        t0 = time.monotonic()
        chalice_package(staged, out / name, stage, env)
        result.chalice_seconds = round(time.monotonic() - t0, 1)

        sam = out / name / "sam.json"
        shutil.copy2(sam, staged / "chalice.sam.json")
        template = merge.merge(json.loads(sam.read_text()), probe)
        sam.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n")
        result.template = str(sam)
        result.resources = len(template["Resources"])
        check_zip(out / name / "deployment.zip", result, env, template)
        result.ok = not result.problems
    except (ServiceFailed, merge.MergeError, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as exc:
        result.problems.append(str(exc))
    result.seconds = round(time.monotonic() - started, 1)
    return result


# -- the whole build -----------------------------------------------------------------------------------
def build(out: Path, services_root: Path, services: list[str] | None = None, stage: str = "prod",
          jobs: int = 2) -> int:
    out, services_root = out.resolve(), services_root.resolve()
    names = services or discover(services_root)
    if not names:
        print(f"no services under {services_root}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"packaging {', '.join(names)} for stage {stage} into {out} ({jobs} at a time)", flush=True)

    results: list[ServiceResult] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(package_service, n, services_root, out, stage) for n in names]
        for future in futures:
            r = future.result()
            results.append(r)
            print(f"  {r.service:<10} {'ok' if r.ok else 'FAILED':<6} {r.resources:>3} resources  "
                  f"zip {r.zip_bytes / 1e6:5.1f} MB  chalice {r.chalice_seconds:5.1f}s  total {r.seconds:5.1f}s",
                  flush=True)
            for problem in r.problems:
                print(f"    error: {problem}", flush=True)

    shared_dir = out / "shared"
    shared_dir.mkdir(exist_ok=True)
    shared_path = shared_dir / "template.json"
    shared_path.write_text(json.dumps(shared.template(stage, {r.service: r.api_stage for r in results}),
                                      indent=2) + "\n")

    templates = [Path(r.template) for r in results if r.template] + [shared_path]
    t0 = time.monotonic()
    lint_rc, findings = lint.lint(templates)
    lint_seconds = round(time.monotonic() - t0, 1)
    errors = [f for f in findings if f.level == "Error"]
    print(f"cfn-lint {len(templates)} templates in {lint_seconds}s: {len(errors)} errors, "
          f"{len(findings) - len(errors)} warnings/notes", flush=True)
    for f in findings:
        print(f"  {f}", flush=True)

    ok = all(r.ok for r in results) and not errors and not lint_rc & 3
    summary = {
        "ok": ok, "stage": stage, "seconds": round(time.monotonic() - started, 1),
        "services": [asdict(r) for r in results], "shared_template": str(shared_path),
        "lint": {"exit_code": lint_rc, "seconds": lint_seconds, "findings": [asdict(f) for f in findings],
                 "ignored": lint.IGNORED_CHECKS},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{'done' if ok else 'FAILED'} in {summary['seconds']}s", flush=True)
    return 0 if ok else 1
