FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY qbbridge ./qbbridge
COPY qbwc ./qbwc
COPY requests_builder ./requests_builder
COPY responses_parser ./responses_parser
COPY mapping ./mapping
COPY db ./db
COPY api ./api
COPY console ./console
COPY simulator ./simulator
RUN pip install --no-cache-dir . && useradd --create-home qbbridge \
  && mkdir -p /app/var && chown qbbridge /app/var
# The generated secret key (var/secret-key) must outlive the container: docker-compose.yml keeps var/
# on a volume. Or set QBBRIDGE_SECRET_KEY.
USER qbbridge
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# `serve` upgrades the database schema before it starts listening.
CMD ["qbbridge", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
