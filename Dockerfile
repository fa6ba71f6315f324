FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fontconfig && \
    rm -rf /var/lib/apt/lists/* && fc-cache -s
RUN pip install --no-cache-dir uv
# The portal runs as this unprivileged user, never as root. Its home holds what gunicorn
# (control socket) and fontconfig (cache) write at run time.
RUN groupadd --system --gid 10001 dingdian && \
    useradd --system --uid 10001 --gid dingdian --create-home --home-dir /home/dingdian \
      --shell /usr/sbin/nologin dingdian
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
ENV PATH="/app/.venv/bin:$PATH" DJANGO_STATIC_ROOT=/app/staticfiles DINGDIAN_VAR_DIR=/app/var
COPY . .
RUN DJANGO_SECRET_KEY=build-only DINGDIAN_FIELD_KEYS=build-only DINGDIAN_BLIND_INDEX_KEY=build-only \
    python manage.py collectstatic --noinput
# The code and the collected static files stay root's (read-only to the portal); the portal
# writes only uploaded evidence (the private-files volume, which takes this folder's owner when
# compose creates it) and its runtime folder.
RUN mkdir -p /data/private /app/var && chown -R dingdian:dingdian /data/private /app/var
USER 10001:10001
EXPOSE 8000
