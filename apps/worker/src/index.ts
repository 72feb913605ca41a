import pkg from "../package.json" with { type: "json" };

/** The version of @weft/worker that is running. */
export const VERSION: string = pkg.version;

export { type RunningWorker, startWorker, type WorkerOptions } from "@weft/runtime";
