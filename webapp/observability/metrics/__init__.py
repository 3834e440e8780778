"""Prometheus metrics: GET /metrics, summed over every gunicorn worker of the instance.

Under gunicorn, prometheus-client runs in multiprocess mode: each worker writes its values to
files in PROMETHEUS_MULTIPROC_DIR (created per instance in gunicorn.conf.py's on_starting hook,
see `multiproc.py`) and a scrape, whichever worker answers it, reads all of them. Queue figures
(depth, running, oldest pending age) are global already: they are read from Redis at scrape time.
"""
