"""gunicorn settings for every way the portal is served: `make run`, docker compose, and the
POS dispensing benchmark (bench/dispensing_bench.py).

One worker process per core, each with a few threads: a thread waiting on PostgreSQL lets
another run, and a threaded worker keeps a POS terminal's connection open between calls
(keep-alive), where a synchronous worker closes it after every answer and the terminal
pays a new TCP connection per sale. Measured on 2 cores (README, Performance): 2 × 4
threads served POS dispensings at 140–158/s against 110–122/s for 3–4 synchronous workers.
GUNICORN_WORKERS / GUNICORN_THREADS override both figures.
"""

import os

cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
workers = int(os.environ.get("GUNICORN_WORKERS", cores))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A terminal's next call usually follows within seconds.
keepalive = 5
