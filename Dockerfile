# bybit-mock: the mock Bybit v5 exchange as a container.
# Build: docker build -t bybit-mock .   Run: docker run --rm -p 8080:8080 bybit-mock
# Configuration is by environment variables (README "Configuration"): BYBIT_MOCK_PORT (the
# HEALTHCHECK follows it), BYBIT_MOCK_SCENARIO, BYBIT_MOCK_SEED, BYBIT_MOCK_LOG_LEVEL,
# BYBIT_MOCK_ADMIN_TOKEN, ... Mount scenarios at /scenarios and select one with
# BYBIT_MOCK_SCENARIO=/scenarios/your.yaml; without it the built-in default scenario is served.
# Node runs as PID 1 and the CLI handles SIGTERM: `docker stop` ends it within a second, status 0.
# Recipes: docker-compose.example.yml, examples/github-actions.yml.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    BYBIT_MOCK_HOST=0.0.0.0 \
    BYBIT_MOCK_PORT=8080 \
    BYBIT_MOCK_LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
COPY scenarios ./scenarios
COPY schema ./schema
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BYBIT_MOCK_PORT||8080)+'/__admin/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/bybit-mock.js", "serve"]
