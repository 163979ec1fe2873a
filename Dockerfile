# Ripple as users run it: `node dist/main.js`, as a non-root user, from an image that holds the
# dependencies and the build.

# The service's run-time dependencies, in a layer of their own: rebuilt when the lockfile changes,
# not when the source does. Since 0.1.0 package.json describes the published library
# (nestjs-ripple): what the service alone needs (Nest's Express platform, config, terminus, pino,
# prom-client, zod, uPlot) are devDependencies there, so that a user's `npm install nestjs-ripple`
# does not pull them. `--omit=dev` would leave them out of the image, hence `--include=dev`; the
# price is the dev tooling (jest, typescript, oxlint...) in the image's node_modules.
FROM node:20-alpine AS deps
WORKDIR /app
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --include=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The build, with the dev dependencies (the Nest CLI, TypeScript), thrown away with this stage.
FROM node:20-alpine AS build
WORKDIR /app
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-alpine
# JSON log lines (pino-pretty is loaded only when pretty logs are asked for).
ENV NODE_ENV=production PORT=3000
WORKDIR /app
# Owned by root and read-only to the process: the service cannot rewrite itself.
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY public ./public
USER node
EXPOSE 3000
# Liveness: the process answers. (Readiness, /health/ready, is for balancers; an orchestrator that
# restarts unhealthy containers must not restart every instance while Redis is away.)
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node as PID 1 handles SIGTERM itself (main.ts drains, then exits); compose adds an init for the rest.
CMD ["node", "dist/main.js"]
