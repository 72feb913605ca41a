import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/pg.ts";
import { openTestStore, TEST_KEY } from "./__fixtures__/store.ts";
import {
  ConflictError,
  DecryptError,
  EncryptionKeyError,
  NotFoundError,
  openStore,
  type Store,
  ValidationError,
} from "./index.ts";

async function tableText(url: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return JSON.stringify((await client.query(sql)).rows);
  } finally {
    await client.end();
  }
}

describe("credentials", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it("stores only ciphertext, lists without values, and resolves the plaintext", async () => {
    const secret = `tok-${randomBytes(8).toString("hex")}`;
    const created = await store.credentials.create({
      name: "jira-prod",
      type: "jira.apiToken",
      values: { email: "bot@example.com", token: secret },
    });
    expect(created).toMatchObject({ name: "jira-prod", type: "jira.apiToken", keyId: store.encryptionKeyId });
    expect(JSON.stringify(created)).not.toContain(secret);

    const raw = await tableText(store.databaseUrl, "select * from credentials");
    expect(raw).toContain("jira-prod");
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain("bot@example.com");

    expect(JSON.stringify(await store.credentials.list())).not.toContain(secret);
    expect(await store.credentials.resolve("jira-prod")).toEqual({
      type: "jira.apiToken",
      values: { email: "bot@example.com", token: secret },
    });
    await expect(store.credentials.create({ name: "jira-prod", type: "x", values: {} })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(store.credentials.resolve("nope")).rejects.toBeInstanceOf(NotFoundError);

    await store.credentials.update("jira-prod", { values: { token: "rotated" } });
    expect((await store.credentials.resolve("jira-prod")).values).toEqual({ token: "rotated" });
    await store.credentials.delete("jira-prod");
    expect(await store.credentials.get("jira-prod")).toBeUndefined();
  });

  it("a row whose ciphertext was moved to another credential does not decrypt", async () => {
    await store.credentials.create({ name: "a", type: "t", values: { v: "A" } });
    await store.credentials.create({ name: "b", type: "t", values: { v: "B" } });
    const client = new pg.Client({ connectionString: store.databaseUrl });
    await client.connect();
    await client.query(
      "update credentials set ciphertext = (select ciphertext from credentials where name = 'a') where name = 'b'",
    );
    await client.end();
    await expect(store.credentials.resolve("b")).rejects.toBeInstanceOf(DecryptError);
  });

  it("rotation: a new key reads values sealed with a previous key and re-seals them", async () => {
    const url = store.databaseUrl;
    const newKey = randomBytes(32);
    const withoutOld = await openStore({ databaseUrl: url, encryptionKey: newKey, previousEncryptionKeys: [] });
    await expect(withoutOld.credentials.resolve("a")).rejects.toBeInstanceOf(DecryptError);
    await withoutOld.close();

    const rotated = await openStore({
      databaseUrl: url,
      encryptionKey: newKey.toString("hex"),
      previousEncryptionKeys: [TEST_KEY.toString("base64")],
    });
    try {
      expect((await rotated.credentials.resolve("a")).values).toEqual({ v: "A" });
      // "b" was tampered with above: rotation re-seals the rest and names it.
      expect(await rotated.credentials.rotate()).toEqual({ resealed: 1, failed: ["b"] });
      const keyIds = Object.fromEntries((await rotated.credentials.list()).map((c) => [c.name, c.keyId]));
      expect(keyIds.a).toBe(rotated.encryptionKeyId);
      expect(keyIds.b).not.toBe(rotated.encryptionKeyId);
      expect(await rotated.credentials.rotate()).toEqual({ resealed: 0, failed: ["b"] });
    } finally {
      await rotated.close();
    }
  });

  it("refuses an encryption key that is not 32 bytes", async () => {
    await expect(
      openStore({ databaseUrl: await createTestDatabase("key"), encryptionKey: "too-short" }),
    ).rejects.toBeInstanceOf(EncryptionKeyError);
  });
});

describe("api keys", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it("returns the key once, stores only its hash, verifies it and stops after revocation", async () => {
    const { key, record } = await store.apiKeys.create({ name: "ci", role: "operator" });
    expect(key.startsWith(record.prefix)).toBe(true);
    expect(JSON.stringify(record)).not.toContain(key);
    const raw = await tableText(store.databaseUrl, "select * from api_keys");
    expect(raw).not.toContain(key);

    expect(await store.apiKeys.verify(key)).toEqual({ id: record.id, name: "ci", role: "operator" });
    expect(await store.apiKeys.verify(`${key}x`)).toBeUndefined();
    expect((await store.apiKeys.list())[0]?.lastUsedAt).not.toBeNull();
    await store.apiKeys.revoke(record.id);
    expect(await store.apiKeys.verify(key)).toBeUndefined();
    expect((await store.apiKeys.list())[0]?.revokedAt).not.toBeNull();
    await expect(store.apiKeys.revoke("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("stores a caller-supplied key as a hash only, once however often it is seeded", async () => {
    const supplied = "ops-admin-key-from-the-environment";
    const first = await store.apiKeys.create({ name: "env admin", role: "admin", key: supplied });
    expect(first).toMatchObject({ key: supplied, created: true, record: { role: "admin", prefix: "ops-" } });
    const seeded = await Promise.all([
      store.apiKeys.create({ name: "env admin", role: "admin", key: supplied }),
      store.apiKeys.create({ name: "env admin", role: "admin", key: supplied }),
    ]);
    expect(seeded.map((s) => [s.created, s.record.id])).toEqual([
      [false, first.record.id],
      [false, first.record.id],
    ]);
    expect((await store.apiKeys.list()).filter((k) => k.name === "env admin")).toHaveLength(1);
    expect(await tableText(store.databaseUrl, "select * from api_keys")).not.toContain(supplied);
    expect(await store.apiKeys.verify(supplied)).toMatchObject({ id: first.record.id, role: "admin" });
    await expect(store.apiKeys.create({ name: "short", role: "admin", key: "too-short" })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
