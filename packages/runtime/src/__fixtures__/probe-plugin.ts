// A test-only plugin: `probe.record` sleeps (optionally), then appends one line per execution to
// the file named by WEFT_PROBE_FILE, so tests can count how often each node really ran, across
// processes. `probe.wait` suspends for a delay given in milliseconds.
import { appendFileSync } from "node:fs";
import { defineNode, definePlugin, suspend } from "@weft/sdk";
import { z } from "zod";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export const record = defineNode({
  type: "probe.record",
  version: 1,
  category: "action",
  title: "Record an execution",
  description: "Sleeps sleepMs, then appends the idempotency key and worker to WEFT_PROBE_FILE.",
  icon: "probe",
  config: z.object({ sleepMs: z.number().int().min(0).default(0) }),
  output: z.object({ key: z.string(), worker: z.string() }),
  strategy: {
    async execute(ctx) {
      if (ctx.config.sleepMs > 0) await sleep(ctx.config.sleepMs, ctx.signal);
      const worker = process.env.WEFT_WORKER_ID ?? String(process.pid);
      const file = process.env.WEFT_PROBE_FILE;
      if (file) appendFileSync(file, `${ctx.idempotencyKey} ${worker} ${ctx.attempt}\n`);
      return { key: ctx.idempotencyKey, worker };
    },
  },
});

export const wait = defineNode({
  type: "probe.wait",
  version: 1,
  category: "control",
  title: "Wait",
  description: "Suspends for delayMs milliseconds.",
  icon: "clock",
  config: z.object({ delayMs: z.number().int().min(0) }),
  output: z.object({ waited: z.boolean() }),
  strategy: {
    async execute(ctx) {
      if (ctx.resume !== undefined) return { waited: true };
      return suspend({ kind: "delay", until: new Date(Date.now() + ctx.config.delayMs).toISOString() });
    },
  },
});

export default definePlugin({
  name: "@weft-test/plugin-probe",
  version: "1.0.0",
  nodes: [record, wait],
  credentials: [],
});
