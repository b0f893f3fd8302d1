# jimeng-api on the official Deno image.
#   docker build -t jimeng-api .
#   docker run -d -p 8000:8000 -v jimeng-data:/app/data -e TZ=Asia/Shanghai jimeng-api
# With Chromium for the browser transport (calls Jimeng accepts only from its web page):
#   docker build --build-arg WITH_CHROMIUM=true -t jimeng-api:browser .
FROM denoland/deno:2.9.6

ARG WITH_CHROMIUM=false
RUN if [ "$WITH_CHROMIUM" = "true" ]; then \
      apt-get update && apt-get install -y --no-install-recommends chromium && \
      rm -rf /var/lib/apt/lists/*; \
    fi

WORKDIR /app
ENV DATA_DIR=/app/data \
    DENO_NO_UPDATE_CHECK=1

RUN mkdir -p /app/data && chown deno:deno /app/data
USER deno

# Dependencies first (their layer survives source changes), cached as the user that runs the
# server, in the image's DENO_DIR.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY main.ts ./
COPY src ./src
COPY static ./static
RUN deno cache --frozen main.ts
VOLUME ["/app/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:8000/ping'); Deno.exit(r.ok ? 0 : 1)"]

# The server itself as the main process (not under `deno task`), so `docker stop`'s SIGTERM reaches
# it and it drains; the same permissions as `deno task start`.
CMD ["run", "--frozen", "--cached-only", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-run", "--allow-sys", "main.ts"]
