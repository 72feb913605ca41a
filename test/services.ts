// Real backing services for the workspace's integration tests: an embedded PostgreSQL cluster and
// a redis-server on free loopback ports. Used by the Vitest global setup and by `pnpm bench`.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type EmbeddedPostgresHandle, freePort, startEmbeddedPostgres } from "@weft/store/embedded";

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Installs Debian's redis-server when it is missing (as root, the way `.ci/run` does). */
export function ensureRedisServerInstalled(): void {
  if (hasCommand("redis-server")) return;
  if (userInfo().uid !== 0) throw new Error("redis-server is not installed: run `sudo apt-get install redis-server`");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "redis-server"], {
    stdio: "inherit",
    env,
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`redis-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface RedisHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts a throw-away redis-server (no persistence) on a free loopback port. */
export async function startRedisServer(): Promise<RedisHandle> {
  ensureRedisServerInstalled();
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--maxmemory-policy",
      "noeviction",
    ],
    { stdio: "ignore" },
  );
  await waitForPort(port, 10_000);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface PostgresHandle extends EmbeddedPostgresHandle {
  /** Removes the temporary data directory after stopping. */
  dispose(): Promise<void>;
}

/** Starts a throw-away embedded PostgreSQL cluster under the OS temp dir. */
export async function startTestPostgres(): Promise<PostgresHandle> {
  const dir = await mkdtemp(path.join(tmpdir(), "weft-pg-"));
  // mkdtemp makes the directory 0700; as root, the cluster runs as the `postgres` user.
  await chmod(dir, 0o755);
  const handle = await startEmbeddedPostgres({ dataDir: path.join(dir, "data"), persistent: false });
  return {
    ...handle,
    async dispose() {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
