/**
 * The bundle's Dockerfile and .dockerignore.
 *
 * The image needs no registry but the base image's: the server's node_modules
 * are already in the build context (copied from Kiln's own install). The
 * Dockerfile uses no RUN, so any glibc base with `node` on its PATH works,
 * including one made with `docker import` that has no shell. Stage 1 gathers
 * exactly what the server needs into /app; stage 2 copies it in one layer
 * onto a clean base and runs it as an unprivileged user (uid 10001: numeric,
 * so the base needs no /etc/passwd entry for it).
 */

export const DEFAULT_BASE_IMAGE = 'node:20-bookworm-slim';
export const CONTAINER_PORT = 8080;
export const CONTAINER_USER = '10001:10001';

export function dockerfile(options: { baseImage: string; kilnVersion: string; runId: string }): string {
  return `# Kiln model server for run ${options.runId} (Kiln ${options.kilnVersion}).
# Build: docker build -t kiln-model .            (base: ${options.baseImage})
#        docker build --build-arg BASE_IMAGE=<glibc image with node 20+> -t kiln-model .
ARG BASE_IMAGE=${options.baseImage}

# Stage 1: the server, its dependencies (from Kiln's own node_modules, Linux x64 only) and the model.
FROM \${BASE_IMAGE} AS bundle
# Names this stage's image, which the classic builder leaves untagged, so Kiln can remove it after a build.
ARG KILN_BUILD=manual
LABEL ai.kiln.build=\${KILN_BUILD}
WORKDIR /app
COPY package.json server.mjs ./
COPY node_modules/ ./node_modules/
COPY model.onnx schema.json ./

# Stage 2: one layer on a clean base, run by a user that is not root.
FROM \${BASE_IMAGE}
LABEL org.opencontainers.image.title="kiln-model-server" \\
      org.opencontainers.image.description="Kiln run ${options.runId}: MLflow /invocations, KServe v2, /predict (JSON or CSV), /metrics, /drift" \\
      ai.kiln.run-id="${options.runId}" \\
      ai.kiln.version="${options.kilnVersion}"
COPY --from=bundle /app /app
WORKDIR /app
# The app folder belongs to root and stays read-only; the non-root user writes its prediction log under /tmp.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${CONTAINER_PORT} LOG_DIR=/tmp/kiln-logs
USER ${CONTAINER_USER}
EXPOSE ${CONTAINER_PORT}
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s \\
  CMD ["node", "-e", "fetch('http://127.0.0.1:${CONTAINER_PORT}/v2/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.mjs"]
`;
}

/** Only what the Dockerfile copies goes to the daemon: the clients, docs and logs from `kiln serve` stay out. */
export function dockerignore(): string {
  return ['# The build context is the server, its node_modules and the model.', 'client/', 'logs/', '*.md', '.git/', '**/*.tmp', ''].join(
    '\n',
  );
}
