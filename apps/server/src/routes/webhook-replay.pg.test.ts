// Webhook replay protection across API replicas: two servers, each with its own store connection and
// runtime, on one PostgreSQL database, as when several API processes sit behind a load balancer.
import { randomBytes } from "node:crypto";
import { createRuntime, defaultPlugins, loadPlugins, type Runtime } from "@weft/runtime";
import { openStore, type Store } from "@weft/store";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../../test/pg.ts";
import { createServer, type ListeningServer, type WeftServer } from "../server.ts";
import { signWebhook } from "./triggers.ts";

interface Replica {
  url: string;
  store: Store;
  runtime: Runtime;
  server: WeftServer;
  listening: ListeningServer;
}

async function startReplica(databaseUrl: string, encryptionKey: string): Promise<Replica> {
  const store = await openStore({ databaseUrl, encryptionKey });
  const catalog = await loadPlugins({ plugins: defaultPlugins });
  const logger = pino({ level: "silent" });
  const runtime = await createRuntime({ store, catalog, transport: "inline", logger });
  await runtime.start();
  const server = createServer({ store, runtime, catalog, logger });
  const listening = await server.listen(0, "127.0.0.1");
  return { url: listening.url, store, runtime, server, listening };
}

async function stopReplica(r: Replica): Promise<void> {
  await r.listening.close();
  await r.server.close();
  await r.runtime.stop({ graceMs: 1000 });
  await r.store.close();
}

let a: Replica;
let b: Replica;
beforeAll(async () => {
  const databaseUrl = await createTestDatabase("hookreplay");
  const encryptionKey = randomBytes(32).toString("hex");
  a = await startReplica(databaseUrl, encryptionKey);
  b = await startReplica(databaseUrl, encryptionKey);
});
afterAll(async () => {
  for (const r of [a, b]) if (r) await stopReplica(r);
});

const definition = {
  name: "Replica hook",
  nodes: [
    { id: "hook", type: "trigger.webhook", data: { config: { method: "POST" } } },
    { id: "read", type: "transform.map", data: { config: { expression: "$input.body" } } },
  ],
  edges: [{ id: "e1", source: "hook", target: "read" }],
};

/** A workflow (published unless told otherwise) with a webhook trigger, made through the store. */
async function webhookTrigger(publish = true) {
  const workflow = await a.store.workflows.create({ name: `hook ${randomBytes(4).toString("hex")}`, definition });
  if (publish) await a.store.workflows.publish(workflow.id, { definition });
  const trigger = await a.store.triggers.create({ workflowId: workflow.id, kind: "webhook" });
  const secret = (await a.store.triggers.webhook(trigger.id))?.secret as string;
  return { workflowId: workflow.id, triggerId: trigger.id, secret };
}

function deliver(replica: Replica, triggerId: string, raw: string, headers: Record<string, string>) {
  return fetch(`${replica.url}/api/hooks/${triggerId}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: raw,
  }).then(async (response) => ({
    status: response.status,
    body: (await response.json()) as { error?: { code: string }; runId?: string },
  }));
}

function signed(secret: string, raw: string) {
  const ts = Math.floor(Date.now() / 1000);
  return { "x-weft-timestamp": String(ts), "x-weft-signature": signWebhook(secret, ts, raw) };
}

async function runCount(store: Store, workflowId: string): Promise<number> {
  return (await store.runs.list({ workflowId })).total;
}

describe("webhook replay across replicas", () => {
  it("refuses a call captured from one replica and replayed to another", async () => {
    const { workflowId, triggerId, secret } = await webhookTrigger();
    const raw = JSON.stringify({ alert: "port scan" });
    const headers = signed(secret, raw);

    const first = await deliver(a, triggerId, raw, headers);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const replayed = await deliver(b, triggerId, raw, headers);
    expect(replayed.status).toBe(409);
    expect(replayed.body.error?.code).toBe("WEFT_E_WEBHOOK_REPLAY");
    expect(await runCount(b.store, workflowId)).toBe(1);

    // A new call (fresh signature) to the other replica is still welcome.
    const otherRaw = JSON.stringify({ alert: "port scan", again: true });
    const next = await deliver(b, triggerId, otherRaw, signed(secret, otherRaw));
    expect(next.status, JSON.stringify(next.body)).toBe(202);
  });

  it("starts exactly one run for the same call arriving concurrently at both replicas", async () => {
    const { workflowId, triggerId, secret } = await webhookTrigger();
    const raw = JSON.stringify({ alert: "brute force" });
    const headers = signed(secret, raw);

    const answers = await Promise.all([
      deliver(a, triggerId, raw, headers),
      deliver(b, triggerId, raw, headers),
      deliver(a, triggerId, raw, headers),
      deliver(b, triggerId, raw, headers),
    ]);
    expect(answers.map((x) => x.status).sort()).toEqual([202, 409, 409, 409]);
    expect(await runCount(a.store, workflowId)).toBe(1);
  });

  it("does not keep a delivery whose run could not start, so the sender's retry goes through", async () => {
    const { workflowId, triggerId, secret } = await webhookTrigger(false);
    const raw = JSON.stringify({ alert: "malware" });
    const headers = signed(secret, raw);

    const refused = await deliver(a, triggerId, raw, headers);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body.error?.code).not.toBe("WEFT_E_WEBHOOK_REPLAY");
    expect(await runCount(a.store, workflowId)).toBe(0);

    await a.store.workflows.publish(workflowId, { definition });
    const retried = await deliver(b, triggerId, raw, headers);
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    expect(await runCount(a.store, workflowId)).toBe(1);
  });
});
