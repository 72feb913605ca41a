// The per-attempt objects a strategy receives. Classes with fixed shapes, created cheaply per
// attempt: the logger captures lines on the attempt, services come from the run's container.
import type { DependencyContainer } from "tsyringe";
import type {
  CredentialAccess,
  Json,
  JsonObject,
  LogEntry,
  NodeContext,
  NodeLogger,
  ServiceLookup,
  ServiceToken,
} from "./contracts.ts";
import { WeftError } from "./errors.ts";

/** Resolves a stored credential for a node (supplied by the runtime). */
export type CredentialResolver = (ref: {
  runId: string;
  nodeId: string;
  name: string;
}) => Promise<{ type: string; values: Record<string, unknown> }>;

/** Captures an attempt's log lines; they end up on `AttemptFinishedEvent.logs`. */
export class AttemptLogger implements NodeLogger {
  readonly entries: LogEntry[] = [];
  readonly #now: () => Date;
  #closed = false;

  constructor(now: () => Date) {
    this.#now = now;
  }

  /**
   * Ignores every later line. Called when the attempt is recorded, so an abandoned strategy that
   * keeps logging cannot change the lines of an attempt that already finished.
   */
  close(): void {
    this.#closed = true;
  }

  #push(level: LogEntry["level"], message: string, fields: JsonObject | undefined): void {
    if (this.#closed) return;
    const entry: LogEntry = { level, message, at: this.#now().toISOString() };
    if (fields !== undefined) entry.fields = fields;
    this.entries.push(entry);
  }
  debug(message: string, fields?: JsonObject): void {
    this.#push("debug", message, fields);
  }
  info(message: string, fields?: JsonObject): void {
    this.#push("info", message, fields);
  }
  warn(message: string, fields?: JsonObject): void {
    this.#push("warn", message, fields);
  }
  error(message: string, fields?: JsonObject): void {
    this.#push("error", message, fields);
  }
}

/** Credential access for one node of one run. */
export class NodeCredentials implements CredentialAccess {
  readonly name: string | undefined;
  readonly #runId: string;
  readonly #nodeId: string;
  readonly #resolver: CredentialResolver | undefined;

  constructor(runId: string, nodeId: string, name: string | undefined, resolver: CredentialResolver | undefined) {
    this.name = name;
    this.#runId = runId;
    this.#nodeId = nodeId;
    this.#resolver = resolver;
  }

  async get(name?: string): Promise<{ type: string; values: Record<string, unknown> }> {
    const wanted = name ?? this.name;
    const where = { nodeId: this.#nodeId, runId: this.#runId };
    if (wanted === undefined) {
      throw new WeftError("WEFT_E_CREDENTIAL_MISSING", `Node ${this.#nodeId} references no credential`, where);
    }
    if (this.#resolver === undefined) {
      throw new WeftError("WEFT_E_CREDENTIAL_MISSING", `No credential store is available for ${wanted}`, {
        ...where,
        details: { credential: wanted },
      });
    }
    return this.#resolver({ runId: this.#runId, nodeId: this.#nodeId, name: wanted });
  }
}

/** Run-scoped service lookup over a lazily created child container. */
export class RunServices implements ServiceLookup {
  #container: DependencyContainer | undefined;
  readonly #create: () => DependencyContainer;

  constructor(create: () => DependencyContainer) {
    this.#create = create;
  }

  get container(): DependencyContainer {
    this.#container ??= this.#create();
    return this.#container;
  }

  get<T>(token: ServiceToken<T>): T {
    if (!this.container.isRegistered(token as never, true)) {
      throw new WeftError("WEFT_E_SERVICE_MISSING", `No run service is registered as ${String(token)}`, {
        details: { token: String(token) },
      });
    }
    return this.container.resolve<T>(token as never);
  }

  has(token: ServiceToken<unknown>): boolean {
    return this.container.isRegistered(token as never, true);
  }
}

/** The `NodeContext` the kernel builds per attempt. */
export class AttemptContext<TConfig = unknown> implements NodeContext<TConfig> {
  readonly runId: string;
  readonly workflowId: string;
  readonly nodeId: string;
  readonly nodeType: string;
  readonly attempt: number;
  readonly config: TConfig;
  readonly input: Json;
  readonly inputs: Readonly<Record<string, Json>>;
  readonly signal: AbortSignal;
  readonly logger: AttemptLogger;
  readonly idempotencyKey: string;
  readonly resume?: Json;
  readonly credentials: CredentialAccess;
  readonly services: ServiceLookup;

  constructor(fields: Omit<NodeContext<TConfig>, "logger" | "idempotencyKey"> & { logger: AttemptLogger }) {
    this.runId = fields.runId;
    this.workflowId = fields.workflowId;
    this.nodeId = fields.nodeId;
    this.nodeType = fields.nodeType;
    this.attempt = fields.attempt;
    this.config = fields.config;
    this.input = fields.input;
    this.inputs = fields.inputs;
    this.signal = fields.signal;
    this.logger = fields.logger;
    this.idempotencyKey = `${fields.runId}:${fields.nodeId}`;
    if (fields.resume !== undefined) this.resume = fields.resume;
    this.credentials = fields.credentials;
    this.services = fields.services;
  }
}
