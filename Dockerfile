# The operator image, as config/manager/manager.yaml names it:
#   docker build -t secretsource-operator:0.1.0 .
# The build stage compiles src/ to dist/ and keeps the production dependencies only; the runtime
# stage is distroless Node.js 24 (no shell, no package manager) running as uid 65532. Nothing is
# written at runtime, so the container runs with a read-only root file system.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# package.json says "type": "module", which dist/ needs.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "dist/cli/main.js", "run"]
