// A process that opens a store on an embedded cluster in the data directory given as argv[2], reports
// on stdout, and on SIGTERM shuts down through store.close(). The embedded tests SIGKILL or SIGTERM it.
import { openStore } from "../store.ts";

const dataDir = process.argv[2] as string;
const signalsBefore = process.listenerCount("SIGTERM") + process.listenerCount("SIGINT");
const store = await openStore({ dataDir, encryptionKey: Buffer.alloc(32, 7) });
const signalsAfter = process.listenerCount("SIGTERM") + process.listenerCount("SIGINT");
process.on("SIGTERM", () => {
  void store.close().then(() => {
    process.stdout.write(`${JSON.stringify({ closed: true })}\n`);
    process.exit(0);
  });
});
await store.workflows.create({ name: `kept by ${process.pid}` });
process.stdout.write(`${JSON.stringify({ ready: true, url: store.databaseUrl, signalsBefore, signalsAfter })}\n`);
setInterval(() => {}, 60_000);
