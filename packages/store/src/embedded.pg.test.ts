import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "./embedded.ts";

describe("startEmbeddedPostgres", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("initialises a cluster, serves queries, and restarts on the same data without re-initialising", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "weft-embedded-"));
    await chmod(dir, 0o755);
    const dataDir = path.join(dir, "pg");
    const first = await startEmbeddedPostgres({ dataDir });
    const url = await first.createDatabase("weft_embedded");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("CREATE TABLE kept (v int)");
    await client.query("INSERT INTO kept VALUES (42)");
    await client.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir });
    const again = new pg.Client({ connectionString: await second.createDatabase("weft_embedded") });
    await again.connect();
    const { rows } = await again.query("SELECT v FROM kept");
    await again.end();
    await second.stop();
    expect(rows).toEqual([{ v: 42 }]);
  });
});
