// Node strategies live in a tsyringe container, one registration per `type@major`, so plugins,
// tests and the runtime resolve them the same way and a run can get a child container of its own.
import "reflect-metadata";
import { type DependencyContainer, container as rootContainer } from "tsyringe";
import { registerBuiltins } from "./builtins.ts";
import type { NodeCatalog, NodeStrategy, NodeTypeDescriptor } from "./contracts.ts";
import { WeftError } from "./errors.ts";
import { installedMajors } from "./validate.ts";

/** A strategy as the registry stores it: the phases' type parameters are erased. */
// biome-ignore lint/suspicious/noExplicitAny: strategies of every config/result type share one registry.
export type AnyNodeStrategy = NodeStrategy<any, any, any>;

/** A registered node type: what validation needs and the behaviour the scheduler runs. */
export interface RegisteredNodeType {
  descriptor: NodeTypeDescriptor;
  strategy: AnyNodeStrategy;
}

/** Options of {@link StrategyRegistry}. */
export interface StrategyRegistryOptions {
  /** Parent container (default: a child of tsyringe's global container, so registries stay apart). */
  container?: DependencyContainer;
  /** Register the built-in node types (`trigger.manual`) at construction. Default true. */
  builtins?: boolean;
}

/** The container token a node type's strategy is registered under. */
export function strategyToken(type: string, major: number): string {
  return `weft.strategy:${type}@${major}`;
}

/**
 * Holds every installed node type, keyed by type and plugin major version, and is the
 * {@link NodeCatalog} validation uses. Built-in types are registered by the constructor unless
 * `builtins: false`.
 */
export class StrategyRegistry implements NodeCatalog {
  /** The container strategies are registered in; run containers are its children. */
  readonly container: DependencyContainer;
  readonly #types = new Map<string, Map<number, NodeTypeDescriptor>>();

  constructor(options: StrategyRegistryOptions = {}) {
    this.container = options.container ?? rootContainer.createChildContainer();
    if (options.builtins !== false) registerBuiltins(this);
  }

  /**
   * Installs a node type. Throws `WEFT_E_DUPLICATE_NODE_TYPE` when the same type and major are
   * already registered (two plugins, or one plugin loaded twice).
   */
  register<TConfig, TPrepared, TResult>(
    descriptor: NodeTypeDescriptor,
    strategy: NodeStrategy<TConfig, TPrepared, TResult>,
  ): this {
    let majors = this.#types.get(descriptor.type);
    if (majors?.has(descriptor.version)) {
      throw new WeftError(
        "WEFT_E_DUPLICATE_NODE_TYPE",
        `Node type ${descriptor.type}@${descriptor.version} is already registered`,
        { details: { type: descriptor.type, version: descriptor.version } },
      );
    }
    if (majors === undefined) {
      majors = new Map();
      this.#types.set(descriptor.type, majors);
    }
    majors.set(descriptor.version, descriptor);
    const registered: RegisteredNodeType = { descriptor, strategy: strategy as AnyNodeStrategy };
    this.container.register(strategyToken(descriptor.type, descriptor.version), { useValue: registered });
    return this;
  }

  /**
   * The descriptor and strategy of `type` at `version` (default: the highest installed major).
   * Throws `WEFT_E_UNKNOWN_NODE_TYPE` or `WEFT_E_NODE_VERSION`.
   */
  resolve(type: string, version?: number): RegisteredNodeType {
    const descriptor = this.describe(type, version);
    if (descriptor === undefined) {
      const installed = this.versions(type);
      if (installed.length === 0) {
        throw new WeftError("WEFT_E_UNKNOWN_NODE_TYPE", `Unknown node type ${type}`, { details: { type } });
      }
      throw new WeftError(
        "WEFT_E_NODE_VERSION",
        `Node type ${type} is not installed at major ${version} (installed: ${installedMajors(this, type, installed)})`,
        { details: { type, version: version ?? null, installed } },
      );
    }
    return this.container.resolve<RegisteredNodeType>(strategyToken(descriptor.type, descriptor.version));
  }

  /** {@inheritDoc NodeCatalog.describe} */
  describe(type: string, version?: number): NodeTypeDescriptor | undefined {
    const majors = this.#types.get(type);
    if (majors === undefined) return undefined;
    if (version !== undefined) return majors.get(version);
    let best: NodeTypeDescriptor | undefined;
    for (const descriptor of majors.values())
      if (best === undefined || descriptor.version > best.version) best = descriptor;
    return best;
  }

  /** {@inheritDoc NodeCatalog.versions} */
  versions(type: string): number[] {
    return [...(this.#types.get(type)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** Every registered descriptor, by type then major. */
  list(): NodeTypeDescriptor[] {
    return [...this.#types.keys()]
      .sort()
      .flatMap((type) => this.versions(type).map((v) => this.#types.get(type)?.get(v) as NodeTypeDescriptor));
  }

  /** A child container for one run's services; strategies registered here stay visible from it. */
  createRunContainer(): DependencyContainer {
    return this.container.createChildContainer();
  }
}
