import path from "node:path";
import { type RunningWorker, startWorker as startRuntimeWorker, type WorkerOptions } from "@weft/runtime";
import pkg from "../package.json" with { type: "json" };

/** The version of @weft/worker that is running. */
export const VERSION: string = pkg.version;

export type { RunningWorker, WorkerOptions };

/** The directory of this package, whose dependencies are the first-party plugins. */
export const WORKER_DIR: string = path.resolve(import.meta.dirname, "..");

/** Starts a worker (see @weft/runtime's startWorker) resolving the first-party plugins from this package. */
export function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  return startRuntimeWorker({ pluginsFrom: WORKER_DIR, ...options });
}
