# Gatehouse container image: build with the dev toolchain, run with production dependencies only.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY server ./server
COPY client ./client
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
# serve and healthcheck both read this file: move the config with GATEHOUSE_CONFIG, not --config,
# so the health check follows it (and the port it names).
ENV NODE_ENV=production GATEHOUSE_CONFIG=/config/gatehouse.yml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
# The portal's bundles and stylesheets are built into dist/assets; the companion app is served as it is.
COPY client/companion ./client/companion
RUN mkdir -p /data && chown node:node /data
USER node
# The default server.port; the health check asks the config, so another port needs no change here.
EXPOSE 9091
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s CMD ["node", "dist/server/main.js", "healthcheck"]
ENTRYPOINT ["node", "dist/server/main.js"]
CMD ["serve"]
