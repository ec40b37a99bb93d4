"""gunicorn settings. The container must listen on all interfaces: 127.0.0.1 would be unreachable
from the load balancer (or the Elastic Beanstalk nginx proxy) and every health check would fail."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Finish in-flight requests within the container stop timeout berth sets (5 s by default).
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "4"))
accesslog = "-"
errorlog = "-"
