# Vigilo for self-hosters: one image for both steps of a deploy (see compose.yaml and README).
#   release: vigilo db upgrade        (once per deploy, before web starts)
#   web:     vigilo serve --port $PORT
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PORT=8000

WORKDIR /app
# Dependencies first, pinned by constraints.txt, so a code change reuses this layer.
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY bot ./bot
COPY core ./core
COPY integrations ./integrations
COPY services ./services
COPY store ./store
COPY vigilo ./vigilo
COPY webhooks ./webhooks
RUN pip install -c constraints.txt .

RUN useradd --system --uid 10001 --home-dir /app vigilo
USER vigilo

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
# Shell form on purpose: $PORT comes from the environment at run time.
CMD vigilo serve --host 0.0.0.0 --port $PORT
