// Nodes that park the run: a delay, and a human approval. Each suspends on its first attempt; the
// runtime resumes it (due timer, approval decision) with a payload, and the resumed attempt finishes.
import { defineNode, emit, NodeError, suspend } from "@weft/sdk";
import { z } from "zod";
import { CoreErrorCode } from "./errors.ts";

/** `control.delay`: waits for a duration or until a time, without holding a worker. */
export const delay = defineNode({
  type: "control.delay",
  version: 1,
  category: "control",
  title: "Delay",
  description: "Pauses the run for a duration or until a point in time; the worker is freed while it waits.",
  icon: "hourglass",
  config: z.union([
    z.object({
      durationMs: z
        .int()
        .min(0)
        .max(366 * 24 * 3600 * 1000)
        .meta({ title: "Duration (ms)" }),
    }),
    z.object({ until: z.iso.datetime({ offset: true }).meta({ title: "Until", description: "ISO-8601 time." }) }),
  ]),
  output: z.object({ resumedAt: z.iso.datetime({ offset: true }) }),
  examples: [{ name: "wait five minutes", config: { durationMs: 300_000 }, resume: null }],
  strategy: {
    execute(ctx) {
      // The resumed attempt: the wait is over.
      if (ctx.resume !== undefined) return { resumedAt: new Date().toISOString() };
      const until = "until" in ctx.config ? new Date(ctx.config.until) : new Date(Date.now() + ctx.config.durationMs);
      return suspend({ kind: "delay", until: until.toISOString() });
    },
  },
});

const decision = z.object({
  decision: z.enum(["approved", "rejected"]),
  by: z.string().min(1),
  comment: z.string().optional(),
});

/** What the runtime's scheduler resumes an approval with when it expired undecided. */
const expiry = z.object({ decision: z.literal("expired"), by: z.string() });

/** `approval.request`: asks a person (by role, optionally a named user) to approve or reject. */
export const approvalRequest = defineNode({
  type: "approval.request",
  version: 1,
  category: "approval",
  title: "Request approval",
  description:
    "Pauses the run until an approver decides; continues on the 'approved' or 'rejected' port. Undecided after expiresInMs, it fails with WEFT_E_APPROVAL_EXPIRED.",
  icon: "user-check",
  config: z.object({
    title: z.string().min(1).meta({ title: "Title", order: 0 }),
    description: z.string().default("").meta({ title: "Description", widget: "multiline", order: 1 }),
    approverRole: z.string().min(1).default("operator").meta({ title: "Approver role", order: 2 }),
    approverUser: z.string().min(1).optional().meta({ title: "Approver (user)", order: 3 }),
    expiresInMs: z
      .int()
      .min(1000)
      .default(7 * 24 * 3600 * 1000)
      .meta({ title: "Expires after (ms)", order: 4 }),
  }),
  output: z.object({
    decision: z.enum(["approved", "rejected"]),
    by: z.string(),
    comment: z.string().nullable(),
  }),
  ports: ["approved", "rejected"],
  examples: [
    {
      name: "approve isolating a host",
      config: { title: "Isolate web-01?", approverRole: "operator" },
      resume: { decision: "approved", by: "alice", comment: "go" },
      expect: { port: "approved", output: { decision: "approved", by: "alice", comment: "go" } },
    },
  ],
  strategy: {
    execute(ctx) {
      const { config } = ctx;
      if (ctx.resume === undefined) {
        const data = {
          title: config.title,
          description: config.description,
          approverRole: config.approverRole,
          ...(config.approverUser !== undefined ? { approverUser: config.approverUser } : {}),
        };
        return suspend({ kind: "approval", until: new Date(Date.now() + config.expiresInMs).toISOString(), data });
      }
      if (expiry.safeParse(ctx.resume).success)
        // Not retryable: a retry would only ask again for a decision that can no longer be taken.
        throw new NodeError(CoreErrorCode.ApprovalExpired, `approval "${config.title}" expired before anyone decided`, {
          details: { expiresInMs: config.expiresInMs },
        });
      const parsed = decision.safeParse(ctx.resume);
      if (!parsed.success)
        throw new NodeError(
          CoreErrorCode.ApprovalDecisionInvalid,
          'approval.request was resumed without a decision: expected { decision: "approved" | "rejected", by, comment? }',
          { details: { fields: parsed.error.issues.map((i) => i.path.join(".")) } },
        );
      const { decision: verdict, by, comment } = parsed.data;
      return emit(verdict, { decision: verdict, by, comment: comment ?? null });
    },
  },
});
