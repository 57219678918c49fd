"""The local stack: all five services, moto, queues, schedules and dev pages on one port.

`python -m infra.local` (or `make run`) runs it until Ctrl-C; `infra.local.stack.LocalStack` is the
in-process API. Kept import-free so that `infra.local.demo` and friends stay cheap to import.
"""
