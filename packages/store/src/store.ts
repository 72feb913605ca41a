// Opening the store: choose the database (DATABASE_URL, else an embedded PostgreSQL under the data
// directory), connect MikroORM, apply the committed migrations, and hand out the repositories.
import path from "node:path";
import { Migrator } from "@mikro-orm/migrations";
import { MikroORM } from "@mikro-orm/postgresql";
import { loadEncryptionKey, loadPreviousKeys, SecretCipher } from "./crypto.ts";
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from "./embedded.ts";
import { entities } from "./entities.ts";
import { ConnectionError } from "./errors.ts";
import { migrationsList } from "./migrations/index.ts";
import { ApiKeyRepository } from "./repositories/api-keys.ts";
import { ApprovalRepository } from "./repositories/approvals.ts";
import { AuditRepository } from "./repositories/audit.ts";
import { CredentialRepository } from "./repositories/credentials.ts";
import { NotificationRepository } from "./repositories/notifications.ts";
import { GuardedRunRepository } from "./repositories/run-guard.ts";
import type { RunRepository } from "./repositories/runs.ts";
import type { RepositoryContext } from "./repositories/shared.ts";
import { TriggerRepository } from "./repositories/triggers.ts";
import { WorkflowRepository } from "./repositories/workflows.ts";

/** Default cap on a stored step output: 256 KiB of JSON text. */
export const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024;

/** Options of {@link openStore}. Every one is optional: the defaults give a zero-setup local store. */
export interface StoreOptions {
  /** `postgres://` URL; defaults to env DATABASE_URL; when neither is set, an embedded PostgreSQL is used. */
  databaseUrl?: string;
  /** Where local state lives (embedded cluster in `<dataDir>/pg`, dev encryption key); default env WEFT_DATA_DIR, else `./.data`. */
  dataDir?: string;
  /** 32-byte key (hex/base64 string or Buffer); default env WEFT_ENCRYPTION_KEY, else a generated `<dataDir>/encryption.key`. */
  encryptionKey?: string | Buffer;
  /** Keys that sealed older values, still accepted for reading; default env WEFT_ENCRYPTION_KEYS_PREVIOUS (comma-separated). */
  previousEncryptionKeys?: (string | Buffer)[];
  /** Cap on a stored step output in bytes of JSON text (default 256 KiB); larger ones are truncated and marked. */
  maxOutputBytes?: number;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** Log SQL (default false). */
  debug?: boolean;
  /** Max pooled connections (default 10). */
  poolSize?: number;
  /** Receives what the embedded cluster's start has to say, e.g. that a stale one was stopped (default: stderr). */
  onNotice?: (message: string) => void;
}

/** The open store: one repository per concept, and `close()`. */
export interface Store {
  readonly workflows: WorkflowRepository;
  readonly triggers: TriggerRepository;
  readonly runs: RunRepository;
  readonly approvals: ApprovalRepository;
  readonly notifications: NotificationRepository;
  readonly audit: AuditRepository;
  readonly credentials: CredentialRepository;
  readonly apiKeys: ApiKeyRepository;
  /** The database URL in use (the embedded cluster's when no URL was given). */
  readonly databaseUrl: string;
  /** True when the store started (and will stop) an embedded PostgreSQL. */
  readonly embedded: boolean;
  /** Key id of the encryption key that seals new secrets. */
  readonly encryptionKeyId: string;
  /** Round trip to the database (readiness checks); throws when it is unreachable. */
  ping(): Promise<void>;
  /** Closes the pool, and stops the embedded PostgreSQL when the store started one. */
  close(): Promise<void>;
}

const EMBEDDED_DATABASE = "weft";

function dataDirOf(options: StoreOptions): string {
  return path.resolve(options.dataDir ?? process.env.WEFT_DATA_DIR ?? "./.data");
}

async function connect(databaseUrl: string, options: { debug?: boolean; poolSize?: number } = {}): Promise<MikroORM> {
  try {
    return await MikroORM.init({
      entities,
      clientUrl: databaseUrl,
      extensions: [Migrator],
      ensureDatabase: false,
      debug: options.debug ?? false,
      pool: { min: 0, max: options.poolSize ?? 10 },
      migrations: {
        migrationsList,
        tableName: "weft_migrations",
        snapshot: false,
        snapshotOnMigrate: false,
        transactional: true,
        allOrNothing: true,
        silent: !(options.debug ?? false),
      },
    });
  } catch (error) {
    throw new ConnectionError(`cannot connect to PostgreSQL at ${redact(databaseUrl)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable DATABASE_URL>";
  }
}

async function applyMigrations(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

/**
 * Opens the store. Uses `databaseUrl`, else env DATABASE_URL, else starts an embedded PostgreSQL
 * under `<dataDir>/pg` (stopped again by `close()`); then applies pending migrations.
 */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const dataDir = dataDirOf(options);
  let embedded: EmbeddedPostgresHandle | undefined;
  let databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, "pg"),
      ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    });
    databaseUrl = await embedded.createDatabase(EMBEDDED_DATABASE);
  }
  let orm: MikroORM | undefined;
  try {
    const key = await loadEncryptionKey(options.encryptionKey, dataDir);
    const cipher = new SecretCipher(key, loadPreviousKeys(options.previousEncryptionKeys));
    orm = await connect(databaseUrl, options);
    if (options.migrate ?? true) await applyMigrations(orm);
    const ctx: RepositoryContext = { orm, maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES };
    const live = orm;
    const url = databaseUrl;
    let closed = false;
    return {
      workflows: new WorkflowRepository(ctx),
      triggers: new TriggerRepository(ctx, cipher),
      runs: new GuardedRunRepository(ctx),
      approvals: new ApprovalRepository(ctx),
      notifications: new NotificationRepository(ctx),
      audit: new AuditRepository(ctx),
      credentials: new CredentialRepository(ctx, cipher),
      apiKeys: new ApiKeyRepository(ctx),
      databaseUrl: url,
      embedded: embedded !== undefined,
      encryptionKeyId: cipher.keyId,
      async ping() {
        await live.em.fork().execute("select 1");
      },
      async close() {
        if (closed) return;
        closed = true;
        await live.close(true);
        await embedded?.stop();
      },
    };
  } catch (error) {
    await orm?.close(true).catch(() => {});
    await embedded?.stop().catch(() => {});
    throw error;
  }
}

/**
 * Applies pending migrations to the database at `databaseUrl` (default env DATABASE_URL) and returns
 * the names of those applied. For `weft migrate` and deployments that migrate before starting.
 */
export async function migrate(databaseUrl: string | undefined = process.env.DATABASE_URL): Promise<string[]> {
  if (!databaseUrl) throw new ConnectionError("migrate needs a database URL (argument or DATABASE_URL)");
  const orm = await connect(databaseUrl);
  try {
    return await applyMigrations(orm);
  } finally {
    await orm.close(true);
  }
}

/** Options of {@link pruneRuns}: where the store is, and what to delete. */
export interface PruneRunsOptions extends Pick<StoreOptions, "databaseUrl" | "dataDir"> {
  olderThanDays: number;
  /** Runs deleted per transaction (default 500). */
  batchSize?: number;
}

/** Opens the store, deletes finished runs older than `olderThanDays`, closes it; returns the count. For `weft prune`. */
export async function pruneRuns(options: PruneRunsOptions): Promise<number> {
  const { olderThanDays, batchSize, ...where } = options;
  const store = await openStore(where);
  try {
    return await store.runs.prune(olderThanDays, batchSize);
  } finally {
    await store.close();
  }
}
