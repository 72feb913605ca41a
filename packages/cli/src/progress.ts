// Live per-node progress of a local run, one line per event, on stderr.
import type { WorkflowDefinition } from "@weft/kernel";
import type { RunEvent } from "@weft/runtime";
import type { RunResult } from "./run-workflow.ts";

const tty = process.stderr.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text);
const green = (t: string) => paint(32, t);
const red = (t: string) => paint(31, t);
const yellow = (t: string) => paint(33, t);
const dim = (t: string) => paint(2, t);

/** Formats run events as progress lines. */
export function progressPrinter(definition: WorkflowDefinition, write: (line: string) => void) {
  const types = new Map(definition.nodes.map((n) => [n.id, n.type]));
  const started = new Map<string, number>();
  const label = (nodeId: string) => `${nodeId} ${dim(`(${types.get(nodeId) ?? "?"})`)}`;
  return (event: RunEvent) => {
    const nodeId = event.nodeId ?? "";
    const outcome = event.outcome as
      | {
          status: string;
          error?: { code: string; message: string; retryable?: boolean };
          port?: string;
          wait?: { kind: string };
        }
      | undefined;
    switch (event.type) {
      case "node.started":
        started.set(nodeId, Date.now());
        if ((event.attempt ?? 1) > 1) write(`${yellow("↻")} ${label(nodeId)} attempt ${event.attempt}`);
        break;
      case "node.finished": {
        const ms = Date.now() - (started.get(nodeId) ?? Date.now());
        if (outcome?.status === "succeeded") {
          const port = outcome.port && outcome.port !== "default" ? ` → ${outcome.port}` : "";
          write(`${green("✓")} ${label(nodeId)} ${ms} ms${port}`);
        } else if (outcome?.status === "failed") {
          write(`${red("✗")} ${label(nodeId)} ${outcome.error?.code}: ${outcome.error?.message}`);
        } else if (outcome?.status === "suspended") {
          write(`${yellow("⏸")} ${label(nodeId)} waiting (${outcome.wait?.kind ?? "resume"})`);
        } else write(`${yellow("■")} ${label(nodeId)} ${outcome?.status ?? event.status}`);
        break;
      }
      case "node.skipped":
        write(`${dim("↷")} ${label(nodeId)} skipped`);
        break;
      default:
        break;
    }
  };
}

/** The closing line of a run. */
export function summaryLine(result: RunResult): string {
  const mark = result.status === "succeeded" ? green("✓") : result.status === "failed" ? red("✗") : yellow("⏸");
  return `${mark} run ${result.runId} ${result.status}`;
}
