// Start nodes whose events come from outside the run: an HTTP call to the workflow's webhook, or a
// cron schedule. The runtime turns the event into the run input; these nodes hand it on, so the
// designer can show what downstream nodes will see.
import { defineNode } from "@weft/sdk";
import { Cron } from "croner";
import { z } from "zod";

const headerMap = z.record(z.string(), z.string());
const queryMap = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/**
 * The run input `POST /api/hooks/:triggerId` starts a run with. Matched strictly (exactly these four
 * keys, all present) so that a run started by hand whose input merely has a `body` or `method` field
 * is not mistaken for a webhook call and emptied.
 */
export const webhookEnvelope = z.strictObject({
  method: z.string(),
  headers: headerMap,
  query: queryMap,
  body: z.json(),
});

/** `trigger.webhook`: a run started by an HTTP request to the workflow's webhook URL. */
export const webhookTrigger = defineNode({
  type: "trigger.webhook",
  version: 1,
  category: "trigger",
  title: "Webhook",
  description: "Starts a run when the workflow's webhook URL is called; outputs the request's body, headers and query.",
  icon: "webhook",
  config: z.object({
    method: z.enum(["POST", "PUT", "GET"]).default("POST").meta({ title: "HTTP method" }),
    path: z
      .string()
      .regex(/^[a-z0-9][a-z0-9/_-]*$/i, "letters, digits, '/', '_' and '-' only")
      .optional()
      .meta({ title: "Path", description: "Suffix of the webhook URL; a random one is assigned when empty." }),
  }),
  output: webhookEnvelope,
  examples: [
    {
      name: "alert posted by a scanner",
      config: { method: "POST" },
      input: {
        method: "POST",
        headers: { "content-type": "application/json" },
        query: { source: "scanner" },
        body: { severity: "critical" },
      },
      expect: {
        output: {
          method: "POST",
          headers: { "content-type": "application/json" },
          query: { source: "scanner" },
          body: { severity: "critical" },
        },
      },
    },
    {
      name: "run started by hand with the alert as input",
      config: { method: "POST" },
      input: { severity: "critical", body: "not an envelope" },
      expect: {
        output: { method: "POST", headers: {}, query: {}, body: { severity: "critical", body: "not an envelope" } },
      },
    },
  ],
  strategy: {
    execute(ctx) {
      const envelope = webhookEnvelope.safeParse(ctx.input);
      if (envelope.success) return envelope.data;
      // A run started some other way (API execute, `weft run --input`): its whole input is the body.
      return { method: ctx.config.method, headers: {}, query: {}, body: ctx.input ?? null };
    },
  },
});

function validTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** The schedule trigger's config; exported so the runtime's scheduler can parse it the same way. */
export const scheduleConfig = z
  .object({
    cron: z.string().min(1).meta({
      title: "Cron expression",
      description: 'Five or six fields (seconds optional), e.g. "0 7 * * 1-5" for 07:00 on weekdays.',
    }),
    timezone: z
      .string()
      .default("UTC")
      .refine(validTimezone, "not an IANA time zone (e.g. Europe/Paris)")
      .meta({ title: "Time zone" }),
  })
  .superRefine((config, issues) => {
    if (!validTimezone(config.timezone)) return;
    try {
      new Cron(config.cron, { timezone: config.timezone, paused: true });
    } catch (error) {
      issues.addIssue({
        code: "custom",
        path: ["cron"],
        message: `invalid cron expression: ${(error as Error).message}`,
      });
    }
  });

/** When a schedule fires next after `from` (undefined when it never does). */
export function nextFire(config: z.output<typeof scheduleConfig>, from: Date = new Date()): Date | undefined {
  return new Cron(config.cron, { timezone: config.timezone, paused: true }).nextRun(from) ?? undefined;
}

/** `trigger.schedule`: a run started by a cron schedule. */
export const scheduleTrigger = defineNode({
  type: "trigger.schedule",
  version: 1,
  category: "trigger",
  title: "Schedule",
  description: "Starts a run on a cron schedule in a time zone; outputs when it fired and when it fires next.",
  icon: "clock",
  config: scheduleConfig,
  output: z.object({ firedAt: z.iso.datetime({ offset: true }), nextAt: z.iso.datetime({ offset: true }).nullable() }),
  examples: [
    {
      name: "weekday mornings in Paris",
      config: { cron: "0 7 * * 1-5", timezone: "Europe/Paris" },
      input: { scheduledAt: "2026-03-02T06:00:00.000Z" },
      expect: { output: { firedAt: "2026-03-02T06:00:00.000Z", nextAt: "2026-03-03T06:00:00.000Z" } },
    },
  ],
  strategy: {
    execute(ctx) {
      const scheduled = (ctx.input as { scheduledAt?: unknown } | null)?.scheduledAt;
      const firedAt =
        typeof scheduled === "string" && !Number.isNaN(Date.parse(scheduled)) ? new Date(scheduled) : new Date();
      return { firedAt: firedAt.toISOString(), nextAt: nextFire(ctx.config, firedAt)?.toISOString() ?? null };
    },
  },
});
