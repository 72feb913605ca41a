// Runs the real `weft` bin in a child process, as a user would, against a given database and data dir.
import { execFile } from "node:child_process";
import path from "node:path";

const bin = path.resolve(import.meta.dirname, "../bin.ts");

export interface WeftResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A `weft(args)` function bound to a database URL and a data directory. */
export function weftCommand(
  env: () => { databaseUrl: string; dataDir: string },
): (args: string[]) => Promise<WeftResult> {
  return (args) =>
    new Promise((resolve) => {
      const { databaseUrl, dataDir } = env();
      execFile(
        process.execPath,
        ["--no-node-snapshot", bin, ...args],
        { env: { ...process.env, DATABASE_URL: databaseUrl, WEFT_DATA_DIR: dataDir, NO_COLOR: "1" }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
}
