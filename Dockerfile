# The agent server as a container image: the documented build and start steps (docs/deploy.md), run as a non-root user.
#   docker build -t agent-bridge .
#   docker run -p 3000:3000 -v agent-bridge-data:/data agent-bridge
# test/artifact/dockerfile.test.ts runs these same steps in a clean folder.

FROM node:22-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary fits the platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY agent-server/package.json agent-server/
# The server needs one native module; the n8n package's tools need no install scripts to build the server.
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npm rebuild better-sqlite3
COPY agent-server agent-server
RUN npm run build:server
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund && rm -rf agent-server/src

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/agent-server agent-server
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "agent-server/dist/main.js", "serve"]
