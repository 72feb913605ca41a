#!/usr/bin/env -S node --no-node-snapshot
// The `weft` command.
import { createServer } from "node:http";
import path from "node:path";
import { startEmbeddedPostgres } from "@weft/store/embedded";
import { VERSION } from "./index.ts";

const [command] = process.argv.slice(2);
if (command !== "start") {
  console.error(`weft ${VERSION}\nusage: weft start`);
  process.exit(command ? 2 : 0);
}

const dataDir = path.resolve(process.env.WEFT_DATA_DIR ?? ".data");
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const pg = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pg") });
const server = createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  if (req.url === "/api/health") {
    res.end(JSON.stringify({ status: "ok", version: VERSION }));
    return;
  }
  res.statusCode = 404;
  res.end(JSON.stringify({ error: { code: "WEFT_E_NOT_FOUND", message: `no route ${req.method} ${req.url}` } }));
});
server.listen(port, host, () => {
  const address = server.address();
  const actual = address && typeof address === "object" ? address.port : port;
  console.log(`weft ${VERSION} listening on http://${host}:${actual} (database: ${pg ? "embedded" : "DATABASE_URL"})`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    void pg?.stop().then(() => process.exit(0));
    if (!pg) process.exit(0);
  });
}
