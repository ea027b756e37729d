// The bundle's "undici": Pool alone. Meridian calls Pool#dispatch only (src/upstream/client.ts);
// undici's index would also load fetch, WebSocket, cookies, caches and their WebIDL setup, ~30 ms of
// every cold start. Pinned by package-lock; if undici moves this file, the build fails loudly.
module.exports = { Pool: require("undici/lib/dispatcher/pool.js") };
