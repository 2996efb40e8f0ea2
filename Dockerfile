# Tollgate production image: one image, two roles (relay, site), chosen by the command.
# Multi-stage: build with the full workspace, run as a non-root user on Node 24 with only what runs.

FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN corepack disable && npm install -g pnpm@10
COPY pnpm-workspace.yaml package.json pnpm-lock.yaml ./
COPY packages ./packages
COPY migrations ./migrations
COPY scripts ./scripts
RUN pnpm install --frozen-lockfile
# the relay as one bundled file; the site as a Nitro node server
RUN pnpm --filter @tollgate/relay run build && pnpm --filter @tollgate/ui run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system tollgate && useradd --system --gid tollgate --home /app tollgate
COPY --from=build --chown=tollgate:tollgate /app/packages/relay/dist/tollgate-relay.mjs ./relay/tollgate-relay.mjs
COPY --from=build --chown=tollgate:tollgate /app/packages/ui/.output ./site
# the ops CLI (migrations, admin create, …) runs from the workspace sources
COPY --from=build --chown=tollgate:tollgate /app/node_modules ./node_modules
COPY --from=build --chown=tollgate:tollgate /app/packages ./packages
COPY --from=build --chown=tollgate:tollgate /app/migrations ./migrations
COPY --from=build --chown=tollgate:tollgate /app/package.json ./package.json
USER tollgate
EXPOSE 3000 3001
# default role: the relay; the site runs `node site/server/index.mjs`
CMD ["node", "relay/tollgate-relay.mjs"]
