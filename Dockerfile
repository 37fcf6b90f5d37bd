FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 PORT=8000 DATA_DIR=/data
WORKDIR /app

COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-cache-dir .
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static

VOLUME /data
EXPOSE 8000
CMD ["python", "-m", "app"]
