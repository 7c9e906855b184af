# The image installs exactly what was tested: the locked dependencies from uv.lock, without the dev tools.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
# Dependencies first (a layer that changes only with uv.lock), then the project itself.
RUN uv sync --frozen --no-dev --no-install-project --no-cache
COPY src ./src
RUN uv sync --frozen --no-dev --no-cache
ENV PATH="/app/.venv/bin:$PATH"
USER nobody
EXPOSE 8000 9191
CMD ["leadorch", "serve", "--host", "0.0.0.0", "--port", "8000"]
