import { describe, expect, it } from "vitest";
import { eventually } from "../__fixtures__/harness.ts";
import type { RunJob, RunJobResult } from "../queue.ts";
import { InlineQueue } from "./inline-queue.ts";

describe("InlineQueue", () => {
  it("lets a due delayed job in when the queue is full, and runs it once there is room", async () => {
    const handled: string[] = [];
    const errors: unknown[] = [];
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new InlineQueue({
      concurrency: 1,
      capacity: 1,
      handler: async (job: RunJob): Promise<RunJobResult> => {
        if (job.runId === "busy") await blocked;
        handled.push(job.runId);
        return { kind: "done", status: "succeeded" };
      },
      onError: (error) => errors.push(error),
    });
    queue.push({ runId: "busy", kind: "start" });
    queue.push({ runId: "waiting", kind: "start" });
    // Full: a new start is refused with a clear error...
    expect(() => queue.push({ runId: "refused", kind: "start" })).toThrow(
      expect.objectContaining({ code: "WEFT_E_QUEUE_FULL" }),
    );
    // ...but a delayed job that comes due now is admitted, not thrown from its timer.
    queue.schedule("delay.due", { runId: "delayed", kind: "delay", nodeId: "wait" }, Date.now() + 5);
    await eventually(() => (queue.depth.delayed === 0 ? true : undefined));
    expect(queue.depth.waiting).toBe(2);
    release();
    await eventually(() => (handled.length === 3 ? true : undefined));
    expect(handled).toEqual(["busy", "waiting", "delayed"]);
    expect(errors).toEqual([]);
    await queue.drain(1000);
  });
});
