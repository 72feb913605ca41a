import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "./index.ts";

describe("openStore without DATABASE_URL", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("starts an embedded PostgreSQL under <dataDir>/pg, migrates it, keeps a 0600 dev key, and data survives a restart", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "weft-store-"));
    await chmod(dir, 0o755);
    const saved = { url: process.env.DATABASE_URL, key: process.env.WEFT_ENCRYPTION_KEY };
    delete process.env.DATABASE_URL;
    delete process.env.WEFT_ENCRYPTION_KEY;
    try {
      const first = await openStore({ dataDir: dir });
      expect(first.embedded).toBe(true);
      await first.ping();
      const wf = await first.workflows.create({ name: "Local" });
      await first.credentials.create({ name: "token", type: "t", values: { v: 1 } });
      await first.close();
      const keyFile = await stat(path.join(dir, "encryption.key"));
      expect(keyFile.mode & 0o777).toBe(0o600);
      await stat(path.join(dir, "pg", "PG_VERSION"));

      const second = await openStore({ dataDir: dir });
      try {
        expect((await second.workflows.get(wf.id))?.name).toBe("Local");
        expect((await second.credentials.resolve("token")).values).toEqual({ v: 1 });
      } finally {
        await second.close();
      }
    } finally {
      if (saved.url !== undefined) process.env.DATABASE_URL = saved.url;
      if (saved.key !== undefined) process.env.WEFT_ENCRYPTION_KEY = saved.key;
    }
  });
});
