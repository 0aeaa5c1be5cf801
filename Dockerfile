# syntax=docker/dockerfile:1
# One image for every Flank service; the command picks the service:
#   docker run flank node gateway/dist/main.js   (router/dist/main.js, responder/dist/main.js)

# --- build: install with the lockfile, compile every workspace, then drop dev dependencies ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY testing/package.json testing/
COPY shared/package.json shared/
COPY devtools/package.json devtools/
COPY gateway/package.json gateway/
COPY router/package.json router/
COPY responder/package.json responder/
COPY cli/package.json cli/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY testing testing
COPY shared shared
COPY devtools devtools
COPY gateway gateway
COPY router router
COPY responder responder
COPY cli cli
RUN npx turbo run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: only what the services run (compiled code, shipped flows, production modules) ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/shared/package.json shared/
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/shared/flows shared/flows
COPY --from=build /app/gateway/package.json gateway/
COPY --from=build /app/gateway/dist gateway/dist
COPY --from=build /app/router/package.json router/
COPY --from=build /app/router/dist router/dist
COPY --from=build /app/responder/package.json responder/
COPY --from=build /app/responder/dist responder/dist
# The flank CLI's embedded mode needs the Cloud API simulator; the services never load it.
COPY --from=build /app/devtools/package.json devtools/
COPY --from=build /app/devtools/dist devtools/dist
COPY --from=build /app/cli/package.json cli/
COPY --from=build /app/cli/dist cli/dist
COPY --from=build /app/cli/bin cli/bin
# MEDIA_DIR's default: owned by node, so a named volume mounted there starts writable (docs/media.md).
RUN mkdir -p /app/data/media && chown -R node:node /app/data
USER node
EXPOSE 3001
CMD ["node", "gateway/dist/main.js"]
