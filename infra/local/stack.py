"""The local stack: all five apps, moto, their queues and schedules, in one process on one port.

    from infra.local.stack import LocalStack

    stack = LocalStack(port=0).start()      # port 0: any free port
    requests.get(stack.base_url + "/auth/health")
    stack.moto_url                          # boto3 endpoint_url of the in-process moto server
    stack.stop()                            # or: with LocalStack(port=0) as stack: ...

`start()` fixes the process environment first (stage, region, dummy AWS keys, `AWS_ENDPOINT_URL`, a
fresh token key pair, the dev clock), because the services read their settings at import; `stop()`
puts it back. One stack per process: the apps and moto's backends are process-wide.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from portal_common.settings import SERVICES

from .sqs import QueuePoller, default_backoff

log = logging.getLogger("infra.local")
REPO = Path(__file__).resolve().parents[2]
WEB_DIR = REPO / "web"
REGION = "eu-west-1"
DEMO_LOGINS = ("parent1@demo.ouderportaal.nl … parent12@, staff1@ … staff3@, manager@, admin@ "
               "(password Demo-Ouderportaal-2026)")


class _Handler(WSGIRequestHandler):
    """Request lines are logged by the dispatcher (short); werkzeug's own only on errors."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            log.warning(message, *args)


class StackError(RuntimeError):
    """The stack could not start."""


def _failed(what: str, exc: Exception, stopping: threading.Event) -> str:
    """The demo's line for a seeding step that raised: the stack going away under it is no failure."""
    if stopping.is_set():
        return f"{what}: stopped with the stack"
    return f"{what} FAILED: {type(exc).__name__}: {exc}"


class LocalStack:
    def __init__(self, port: int = 8000, *, host: str = "127.0.0.1", stage: str = "local",
                 seed_demo: bool = True, access_log: bool = True, web_dir: Path = WEB_DIR,
                 sqs_backoff: Callable[[int], int] = default_backoff, schedule_interval: float = 1.0) -> None:
        self.host = host
        self.port = port
        self.stage = stage
        self.seed_demo = seed_demo
        self.access_log = access_log
        self.web_dir = web_dir
        self.sqs_backoff = sqs_backoff
        self.schedule_interval = schedule_interval
        self.base_url = ""
        self.moto_url = ""
        self.services: dict[str, Any] = {}
        self.demo_lines: list[str] = []
        self.pollers: list[QueuePoller] = []
        self.scheduler: Any = None
        self._server: BaseWSGIServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._billing_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._moto: Any = None
        self._dispatcher: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._previous_clock: Any = None
        self._clock: Any = None
        self._started = False
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, health_timeout: float = 15.0) -> LocalStack:
        if self._started:
            raise StackError("a LocalStack starts once")
        self._started = True
        try:
            self._bind()
            self._start_moto()
            self._configure_environment()
            self._load_services()
            self._provision()
            self._build_gateway()
            if self.seed_demo:
                self._seed_demo()
            self._start_consumers()
            self._start_schedules()
            self._serve()
            self._wait_healthy(health_timeout)
            if self.seed_demo:  # a few seconds of invoicing: the stack is usable meanwhile
                self._billing_thread = threading.Thread(target=self._seed_billing, name="demo-billing", daemon=True)
                self._billing_thread.start()
            self._dispatcher.access_log = self.access_log  # from here on: one short line per request
        except BaseException:
            self.stop()
            raise
        return self

    def _bind(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's and our request lines
        try:
            self._server = make_server(self.host, self.port, self._wsgi, threaded=True, request_handler=_Handler)
        except OSError as exc:
            raise StackError(f"cannot listen on {self.host}:{self.port} ({exc.strerror}); set PORT=… to "
                             "choose another port") from exc
        self.port = self._server.server_port
        self.base_url = f"http://{self.host}:{self.port}"

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        dispatcher = self._dispatcher
        if dispatcher is None:  # a request that raced the start-up
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "1")])
            return [b"starting"]
        return dispatcher(environ, start_response)

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        from portal_common.testing.moto_patches import install

        install()  # moto's transactions without whole-table copies (see the module)

        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"

    def _configure_environment(self) -> None:
        from portal_common import aws, clock, settings, tokens

        private_pem, public_pem = tokens.generate_keypair()
        kid = f"local-{int(time.time())}"
        wanted: dict[str, str | None] = {
            "PORTAL_STAGE": self.stage,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": self.moto_url,
            "PORTAL_PUBLIC_BASE_URL": self.base_url,
            "PORTAL_JWT_PRIVATE_KEY": private_pem,
            "PORTAL_JWT_PUBLIC_KEYS": json.dumps({kid: public_pem}),
            "PORTAL_JWT_KID": kid,
        }
        for name, value in wanted.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.reset_settings()
        tokens.reset_keys()
        aws.reset_clients()
        self._clock = clock.OffsetClock()
        self._previous_clock = clock.set_clock(self._clock)

    def _load_services(self) -> None:
        from infra.local import services

        loaded = services.load()
        self.services = {name: loaded[name] for name in SERVICES}

    def client(self, name: str) -> Any:
        import boto3

        return boto3.client(name, region_name=REGION, endpoint_url=self.moto_url,
                            aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106

    def _provision(self) -> None:
        from portal_common import resources

        from .mail import keep_both_parts

        keep_both_parts()
        described = [resources.describe(svc.app) for svc in self.services.values()]
        clients = {name: self.client(name) for name in ("dynamodb", "sns", "sqs", "s3", "ses")}
        resources.create_all(described, clients)
        self._provision_push(clients["sns"])

    def _provision_push(self, sns: Any) -> None:
        """Platform applications in moto, so registered devices get endpoints and pushes show in /dev/push."""
        from portal_common import settings

        from .push import provision

        self._saved_env.setdefault("PORTAL_PUSH_APPLICATIONS", os.environ.get("PORTAL_PUSH_APPLICATIONS"))
        os.environ["PORTAL_PUSH_APPLICATIONS"] = json.dumps(provision(sns))
        settings.reset_settings()

    def _openapi_documents(self) -> dict[str, dict[str, Any]]:
        documents = {}
        for name, gateway in self._dispatcher.gateways.items():
            result = gateway.call("GET", "/openapi.json", {"accept": "application/json"}, None, "127.0.0.1")
            documents[name] = json.loads(result["body"])
        return documents

    def _move_clock(self, when: datetime) -> list[str]:
        from .web import ClockMoveRefused

        try:
            self._clock.move_to(when)
        except ValueError as exc:
            raise ClockMoveRefused(str(exc)) from None
        return self.scheduler.fire_due() if self.scheduler else []

    def _build_gateway(self) -> None:
        from .gateway import Dispatcher
        from .web import WebRoutes

        routes = WebRoutes(self.web_dir, openapi=self._openapi_documents, move_clock=self._move_clock,
                           aws={"endpoint_url": self.moto_url, "region": REGION})
        self._dispatcher = Dispatcher({n: s.app for n, s in self.services.items()}, routes, access_log=False)

    def _seed_demo(self) -> None:
        if importlib.util.find_spec("infra.local.demo") is None:
            return
        try:
            demo = importlib.import_module("infra.local.demo")
            seed = getattr(demo, "seed_demo", None)
            if seed is None:
                return
            self.demo_lines = [str(line) for line in seed()]
            activity = importlib.import_module("infra.local.demo_activity")
            self.demo_lines += [str(line) for line in activity.seed_activity()]
        except Exception as exc:
            log.exception("demo data failed")
            self.demo_lines = [f"demo data FAILED: {type(exc).__name__}: {exc}"]

    def _seed_billing(self) -> None:
        """The demo's invoices, statements and photos: after the consumers run (planning needs the
        families, the timeline the consents and placements); in the background, the stack serves meanwhile."""
        if not self.demo_lines or "FAILED" in self.demo_lines[-1] or "already present" in self.demo_lines[0]:
            return
        try:
            activity = importlib.import_module("infra.local.demo_activity")
            lines = [str(line) for line in activity.seed_billing(wait_seconds=20, stop=self._stopping)]
        except Exception as exc:
            if not self._stopping.is_set():  # the stack going away under it is no failure
                log.exception("demo billing failed")
            lines = [_failed("demo billing", exc, self._stopping)]
        try:
            photos = importlib.import_module("infra.local.demo_photos")
            lines += [str(line) for line in photos.seed_photos(wait_seconds=20, stop=self._stopping)]
        except Exception as exc:
            if not self._stopping.is_set():  # the stack going away under it is no failure
                log.exception("demo photos failed")
            lines.append(_failed("demo photos", exc, self._stopping))
        lines += self._seed_messaging()
        self.demo_lines += lines
        for line in lines:
            print(f"  {line}", flush=True)

    def _seed_messaging(self) -> list[str]:
        """The demo's location page, news, newsletters and conversations, through the HTTP API (a client of
        the stack's own gateway), once messaging has the directory from auth's events."""
        from werkzeug.test import Client

        try:
            demo = importlib.import_module("infra.local.demo_messaging")
            copy = self.services["messaging"].lib.directory_copy
            deadline = time.monotonic() + 20
            while copy.current_group("demo", "child-liam") is None:
                if time.monotonic() > deadline or self._stopping.is_set():
                    return ["demo messaging: skipped, messaging has not received the placements yet"]
                time.sleep(0.1)
            return [str(line) for line in demo.seed_messaging(Client(self._dispatcher), stop=self._stopping)]
        except Exception as exc:
            if not self._stopping.is_set():  # the stack going away under it is no failure
                log.exception("demo messaging failed")
            return [_failed("demo messaging", exc, self._stopping)]

    def _start_consumers(self) -> None:
        from chalice.app import SQSEventConfig

        for name, svc in self.services.items():
            for source in svc.app.event_sources:
                if not isinstance(source, SQSEventConfig):
                    continue
                sqs = self.client("sqs")
                if source.queue:
                    url = sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
                else:
                    url = sqs.get_queue_url(QueueName=str(source.queue_arn).rsplit(":", 1)[-1])["QueueUrl"]
                poller = QueuePoller(f"{name}.{source.name}", svc.app.handler_map[source.name], sqs, url,
                                     region=REGION, batch_size=source.batch_size, backoff=self.sqs_backoff)
                poller.start()
                self.pollers.append(poller)

    def _start_schedules(self) -> None:
        from chalice.app import ScheduledEventConfig
        from chalice.local import LambdaContext

        from portal_common import clock
        from portal_common.settings import get_settings

        from .schedules import Job, ScheduleError, Scheduler, expression_of, parse

        jobs = []
        for name, svc in self.services.items():
            for source in svc.app.event_sources:
                if not isinstance(source, ScheduledEventConfig):
                    continue
                expression = expression_of(source)
                try:
                    schedule = parse(expression)
                except ScheduleError as exc:
                    log.warning("schedule %s.%s not run locally: %s", name, source.name, exc)
                    continue
                handler = svc.app.handler_map[source.name]
                function = f"{name}-{self.stage}-{source.name}"

                def run(event: dict[str, Any], handler: Any = handler, function: str = function) -> Any:
                    return handler(event, LambdaContext(function_name=function, memory_size=512))

                jobs.append(Job(f"{name}.{source.name}", schedule, run, rule=function))
        self.scheduler = Scheduler(jobs, clock.now, region=REGION, account=get_settings().account_id,
                                   interval=self.schedule_interval)
        self.scheduler.start()

    def _serve(self) -> None:
        assert self._server is not None
        self._serve_thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                              name="http", daemon=True)
        self._serve_thread.start()

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.services)
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP(S)_PROXY
        while pending:
            name = pending[0]
            try:
                with direct.open(f"{self.base_url}/{name}/health", timeout=2) as answer:
                    if answer.status == 200:
                        pending.pop(0)
                        continue
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise StackError(f"/{name}/health did not answer 200 within {timeout:.0f} s")
            time.sleep(0.05)

    @property
    def urls(self) -> dict[str, str]:
        found = {"web": f"{self.base_url}/", "docs": f"{self.base_url}/docs",
                 "mail": f"{self.base_url}/dev/mail", "clock": f"{self.base_url}/dev/clock"}
        for name in SERVICES:
            found[f"{name} health"] = f"{self.base_url}/{name}/health"
        found["aws (moto)"] = self.moto_url
        return found

    def stop(self) -> None:
        """Stop serving, polling and scheduling, stop moto, and put the process back as it was: within about a
        second, also in the middle of the demo's seeding or of an event's handling.

        Everything is told to stop first; then moto goes, so whatever still waits on it (a long poll, a
        seeding step, a handler) fails at once instead of finishing; then the threads get a second in all.
        What fails in them now is the stack's own doing, so it is not logged as an error."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        for poller in self.pollers:
            poller.stop()
        if self.scheduler is not None:
            self.scheduler.stop(timeout=0)
        if self._server is not None:
            if self._serve_thread is not None:
                self._server.shutdown()
                self._serve_thread.join(1)
            self._server.server_close()
        logging.disable(logging.ERROR)
        try:
            if self._moto is not None:
                with contextlib.suppress(Exception):
                    self._moto.stop()
            deadline = time.monotonic() + 1.0
            threads = [*([self._billing_thread] if self._billing_thread is not None else []),
                       *(getattr(p, "_thread", None) for p in self.pollers),
                       getattr(self.scheduler, "_thread", None)]
            for thread in threads:  # daemons: one still busy after the second dies with the process
                if thread is not None:
                    thread.join(max(0.0, deadline - time.monotonic()))
        finally:
            logging.disable(logging.NOTSET)
        self._restore()

    def _restore(self) -> None:
        from portal_common import aws, clock, settings, tokens

        if self._dispatcher is not None:
            self._dispatcher.close()
        if self._previous_clock is not None:
            clock.set_clock(self._previous_clock)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self._saved_env:
            settings.reset_settings()
            tokens.reset_keys()
            aws.reset_clients()
