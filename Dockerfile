# Bildungsnetz server image: the registry (API, SPARQL, pages) over an on-disk Oxigraph store.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY registry ./registry
COPY importers ./importers
COPY ontology ./ontology
COPY shapes ./shapes
COPY examples ./examples
RUN pip install --no-cache-dir . && useradd --system bildungsnetz && mkdir /data \
    && chown bildungsnetz /data
USER bildungsnetz
VOLUME ["/data"]
EXPOSE 8000
CMD ["bildungsnetz", "serve", "--config", "/config/sources.toml", "--store", "/data/store", \
     "--host", "0.0.0.0", "--port", "8000", "--harvest-on-start"]
