"""Load several Chalice apps into one process.

Every service has its own top-level `chalicelib` package, so two services cannot simply be imported
side by side. `load_service` imports one service's `app.py` with its own `chalicelib`, then moves
that package out of the way (to `svc_<name>.chalicelib…` in `sys.modules`) so the next service can
load its own. Consequence, checked by a guard test: a service imports `chalicelib` modules only at
module level, never inside a function.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from portal_common.settings import SERVICES

REPO = Path(__file__).resolve().parents[4]
SERVICES_DIR = REPO / "services"
_lock = threading.RLock()
_loaded: dict[str, LoadedService] = {}


@dataclass(frozen=True)
class LoadedService:
    name: str
    module: ModuleType   # the service's app.py
    lib: ModuleType      # its chalicelib package: `svc.lib.domain`, `svc.lib.store`…

    @property
    def app(self) -> Any:
        return self.module.app

    @property
    def path(self) -> Path:
        return SERVICES_DIR / self.name


def _is_chalicelib(name: str) -> bool:
    return name == "chalicelib" or name.startswith("chalicelib.")


def load_service(name: str) -> LoadedService:
    if name not in SERVICES:
        raise ValueError(f"unknown service {name!r}")
    with _lock:
        if name in _loaded:
            return _loaded[name]
        service_dir = SERVICES_DIR / name
        foreign = {k: sys.modules.pop(k) for k in list(sys.modules) if _is_chalicelib(k)}
        sys.path.insert(0, str(service_dir))
        try:
            spec = importlib.util.spec_from_file_location(f"svc_{name}.app", service_dir / "app.py")
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            own = {k: sys.modules.pop(k) for k in list(sys.modules) if _is_chalicelib(k)}
            for key, mod in own.items():
                sys.modules[f"svc_{name}.{key}"] = mod
            lib = own.get("chalicelib") or ModuleType("chalicelib")
        finally:
            sys.path.remove(str(service_dir))
            sys.modules.update(foreign)
        loaded = LoadedService(name, module, lib)
        _loaded[name] = loaded
        return loaded


def load_all() -> dict[str, LoadedService]:
    return {name: load_service(name) for name in SERVICES}
