# Layerstack for a class or a team: served on every interface, with accounts, as a user that
# is not root and can write only to /data. See README, "Run it for a class or a team (Docker)".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 PORT=8000 AUTH=accounts DATA_DIR=/data
WORKDIR /app

COPY pyproject.toml README.md ./
COPY app ./app
COPY layerstack ./layerstack
# EXTRAS=ray adds the Ray executor (EXECUTOR=ray, RAY_ADDRESS=...; ~240 MB): the same image
# can then also serve as a Ray node (`ray start --address=...`), which needs Layerstack too.
ARG EXTRAS=""
RUN pip install --no-cache-dir ".${EXTRAS:+[$EXTRAS]}"
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static

# The server's own user (a fixed uid, so a bind-mounted folder can be given to it: chown 10001).
# Its home takes Keras's ~/.keras; /data is made and owned here, before VOLUME, so a new named
# volume starts owned by it too. The code under /app stays root's: the server cannot change it.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/layerstack \
        --shell /usr/sbin/nologin layerstack \
    && mkdir -p /data \
    && chown layerstack:layerstack /data
USER layerstack

VOLUME /data
EXPOSE 8000
CMD ["layerstack", "serve"]
