FROM python:3.11-slim
ENV UV_SYSTEM_PYTHON=1 PYTHONUNBUFFERED=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN uv pip install --system --no-cache .
USER nobody
EXPOSE 8000
CMD ["leadorch", "serve", "--host", "0.0.0.0", "--port", "8000"]
