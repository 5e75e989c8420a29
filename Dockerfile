# syntax=docker/dockerfile:1
# CMMS: Node builds the SPA, a slim Python image runs the API (non-root, with a healthcheck).

FROM node:20-bookworm-slim AS spa
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
COPY openapi/ /src/openapi/
RUN npm run build

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CMMS_SPA_DIR=/app/frontend/dist CMMS_FILES_DIR=/data/files
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /app cmms \
    && mkdir -p /data/files && chown -R cmms /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api/ api/
COPY migrations/ migrations/
COPY openapi/ openapi/
# editable: the code stays in /app, next to migrations/ and frontend/dist
RUN pip install --no-cache-dir -e .
COPY --from=spa /src/frontend/dist /app/frontend/dist
USER cmms
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
CMD ["uvicorn", "api.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "4", "--proxy-headers", "--no-access-log"]
