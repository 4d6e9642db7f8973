# msf-local with the Flink extra (the distribution's lib/ compiles msf-local's launcher; javac from the JDK).
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jdk-headless \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/msf-local
COPY pyproject.toml README.md ./
COPY app ./app
COPY api_models ./api_models
COPY runtime_adapter ./runtime_adapter
COPY stream_runtime ./stream_runtime
COPY migrations ./migrations
# editable: the migrations are found beside the app package
RUN pip install --no-cache-dir -e '.[flink]'
EXPOSE 4590
ENTRYPOINT ["msf-local"]
CMD ["serve", "--host", "0.0.0.0", "--port", "4590"]
