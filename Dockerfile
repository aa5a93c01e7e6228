# The image of one service, named by the SERVICE build argument: auth, tickets, orders or payments. Build
# context: the repository root, so @ticketing/common is compiled from the same commit (skaffold does this; by
# hand: `docker build --build-arg SERVICE=auth -t ticketing/auth .`).

FROM node:24.22.3-bookworm-slim AS build
# No default: a build that forgets the argument should stop, not quietly build one of the services.
# An ARG only exists in the stage that declares it, so the production stage declares it again.
ARG SERVICE
# Stop first with a message that says what is wrong, rather than later with a puzzling COPY or npm error.
# (BuildKit may reach the COPY of an unknown folder first; that fails too, naming the missing package.json.)
RUN case "$SERVICE" in \
      auth|tickets|orders|payments) ;; \
      *) echo "SERVICE must be auth, tickets, orders or payments (got '$SERVICE'): docker build --build-arg SERVICE=auth ." >&2; exit 1 ;; \
    esac
WORKDIR /app
# Manifests before sources: the dependency layer is reused until a package.json or the lockfile changes.
COPY package.json package-lock.json tsconfig.base.json ./
COPY common/package.json common/
COPY ${SERVICE}/package.json ${SERVICE}/
RUN npm ci --no-audit --no-fund --include-workspace-root --workspace common --workspace ${SERVICE}
COPY common/ common/
COPY ${SERVICE}/ ${SERVICE}/
# Project references: this compiles common first, then the service.
RUN npx tsc -b ${SERVICE}

FROM node:24.22.3-bookworm-slim
ARG SERVICE
ENV NODE_ENV=production
# Inside the container the service must be reachable from the pod network (outside it, the default is loopback).
ENV HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY ${SERVICE}/package.json ${SERVICE}/
RUN npm ci --omit=dev --no-audit --no-fund --workspace common --workspace ${SERVICE} \
  && npm cache clean --force
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/${SERVICE}/dist ${SERVICE}/dist
USER node
WORKDIR /app/${SERVICE}
# What `npm start` runs, without npm in between: node is PID 1 and receives SIGTERM itself.
CMD ["node", "dist/index.js"]
