// The embedded cluster seen from the processes that use it: they own their signals, and a cluster
// left running by a killed process does not block the next start on the same data directory.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "./index.ts";

const CHILD = path.join(import.meta.dirname, "__fixtures__", "embedded-child.ts");

interface Child {
  process: ChildProcess;
  lines: AsyncIterator<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function startChild(dataDir: string): Child {
  const child = spawn(process.execPath, [CHILD, dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  async function* read(): AsyncGenerator<Record<string, unknown>> {
    let buffer = "";
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      buffer += chunk.toString();
      let cut = buffer.indexOf("\n");
      while (cut >= 0) {
        yield JSON.parse(buffer.slice(0, cut)) as Record<string, unknown>;
        buffer = buffer.slice(cut + 1);
        cut = buffer.indexOf("\n");
      }
    }
    throw new Error(`the child exited without reporting: ${stderr}`);
  }
  return { process: child, lines: read(), exited };
}

async function next(child: Child): Promise<Record<string, unknown>> {
  const { value } = await child.lines.next();
  return value as Record<string, unknown>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

describe("embedded PostgreSQL in a process", () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), "weft-embedded-proc-"));
    await chmod(dir, 0o755);
    dirs.push(dir);
    return dir;
  }

  it("leaves SIGINT/SIGTERM to the process, which shuts down through store.close()", async () => {
    const dir = await dataDir();
    const child = startChild(dir);
    children.push(child.process);
    const ready = await next(child);
    expect(ready).toMatchObject({ ready: true });
    expect(ready.signalsAfter).toBe(ready.signalsBefore);
    child.process.kill("SIGTERM");
    expect(await next(child)).toEqual({ closed: true });
    expect(await child.exited).toBe(0);
    expect(existsSync(path.join(dir, "pg", "postmaster.pid"))).toBe(false);
  });

  it("stops a cluster left running by a killed process, then starts on the same data", async () => {
    const dir = await dataDir();
    const child = startChild(dir);
    children.push(child.process);
    expect(await next(child)).toMatchObject({ ready: true });
    const pidFile = path.join(dir, "pg", "postmaster.pid");
    const orphan = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
    child.process.kill("SIGKILL");
    await child.exited;
    expect(alive(orphan)).toBe(true);

    const notices: string[] = [];
    const store = await openStore({
      dataDir: dir,
      encryptionKey: Buffer.alloc(32, 7),
      onNotice: (message) => notices.push(message),
    });
    try {
      expect(alive(orphan)).toBe(false);
      expect(notices.join("\n")).toMatch(/stale embedded PostgreSQL \(pid \d+\)/);
      const { items } = await store.workflows.list();
      expect(items.map((w) => w.name)).toEqual([`kept by ${child.process.pid}`]);
    } finally {
      await store.close();
    }
  });
});
