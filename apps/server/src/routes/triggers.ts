// Triggers of a workflow, and the webhook endpoint they expose. A webhook call is authenticated by
// an HMAC-SHA256 signature over `${timestamp}.${rawBody}` with the trigger's secret; the timestamp
// must be within the tolerance window and a signature is accepted once across all API processes
// (replay protection, recorded in PostgreSQL's webhook_deliveries). The run
// starts with the request as `{ method, headers, query, body }`, the envelope trigger.webhook outputs.
import { createHmac, timingSafeEqual } from "node:crypto";
import { nextScheduledRun } from "@weft/runtime";
import { z } from "zod";
import { audit, loadWorkflow, type RouteContext } from "../context.ts";
import { ApiError, ServerErrorCode } from "../errors.ts";
import { type AnyRoute, defineRoute, ok } from "../http/route.ts";
import { rejectNul } from "../http/validation.ts";
import {
  createTriggerBody,
  hookParams,
  idParams,
  runStartedSchema,
  triggerSchema,
  webhookCreatedSchema,
} from "../schemas.ts";

/** Header carrying `sha256=<hex>`. */
export const SIGNATURE_HEADER = "x-weft-signature";
/** Header carrying the Unix time (seconds) the sender signed at. */
export const TIMESTAMP_HEADER = "x-weft-timestamp";

/**
 * Headers never passed on to the run: they authenticate the call (or the caller), and a run's input is
 * stored and shown to every viewer.
 */
const WITHHELD_HEADERS = new Set([
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-api-key",
]);

/** The request's headers as the run sees them: lower-cased names, repeated values joined, secrets withheld. */
function passedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const passed: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value === undefined || WITHHELD_HEADERS.has(key)) continue;
    passed[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return passed;
}

/** The query string as the run sees it: a repeated parameter becomes an array. */
function passedQuery(query: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const passed: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(query)) if (value !== undefined) passed[name] = value;
  return passed;
}

/** The signature header value for `rawBody` sent at `timestamp` (what senders compute). */
export function signWebhook(secret: string, timestamp: number | string, rawBody: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex")}`;
}

/**
 * Extra time a recorded delivery is kept beyond the replay window, for clocks of API replicas that
 * disagree a little: each prunes with its own clock.
 */
const DELIVERY_CLOCK_MARGIN_SEC = 60;

export function triggerRoutes(c: RouteContext): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/workflows/:id/triggers",
      operationId: "listTriggers",
      summary: "A workflow's triggers (webhook secrets are never listed)",
      tag: "triggers",
      access: "viewer",
      params: idParams,
      responses: { 200: { description: "Triggers.", schema: z.object({ items: z.array(triggerSchema) }) } },
      handler: async ({ params }) => {
        await loadWorkflow(c, params.id);
        return ok({ items: await c.store.triggers.listForWorkflow(params.id) });
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/workflows/:id/triggers",
      operationId: "createTrigger",
      summary: "Add a trigger; a webhook trigger's secret is returned once; a schedule's first due time is set",
      tag: "triggers",
      access: "editor",
      params: idParams,
      body: createTriggerBody,
      responses: { 201: { description: "Created.", schema: webhookCreatedSchema } },
      handler: async ({ params, body, actor, ctx }) => {
        await loadWorkflow(c, params.id);
        // The first due time is set now, so the answer shows it and every scheduler agrees on it.
        const nextRunAt = body.kind === "schedule" ? nextScheduledRun(body) : undefined;
        const trigger = await c.store.triggers.create({
          workflowId: params.id,
          ...body,
          ...(nextRunAt ? { nextRunAt } : {}),
        });
        await audit(c, actor, "trigger.create", `trigger:${trigger.id}`, { after: trigger });
        if (body.kind !== "webhook") return ok(trigger, 201);
        const secret = (await c.store.triggers.webhook(trigger.id))?.secret;
        return ok({ ...trigger, secret, url: `${ctx.origin}/api/hooks/${trigger.id}` }, 201);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/triggers/:id",
      operationId: "deleteTrigger",
      summary: "Remove a trigger",
      tag: "triggers",
      access: "editor",
      params: idParams,
      responses: { 204: { description: "Deleted." } },
      handler: async ({ params, actor }) => {
        const before = await c.store.triggers.get(params.id);
        if (!before)
          throw new ApiError(ServerErrorCode.NotFound, `trigger ${params.id} not found`, { triggerId: params.id });
        await c.store.triggers.delete(params.id);
        await audit(c, actor, "trigger.delete", `trigger:${params.id}`, { before });
        return { status: 204, body: null };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/hooks/:triggerId",
      operationId: "receiveWebhook",
      summary: "Start a run from a signed webhook call",
      description:
        "Headers: `X-Weft-Timestamp: <unix seconds>` and `X-Weft-Signature: sha256=<hex>`, the " +
        "HMAC-SHA256 of `<timestamp>.<raw body>` with the trigger's secret. The timestamp must be within " +
        "the tolerance window (default 300 s) and each signature is accepted once. The run's input (`$input`) is " +
        "`{ method, headers, query, body }`: the JSON body (null when empty), lower-cased headers without the " +
        "signature, timestamp, authorization and cookie headers, and the query string.",
      tag: "triggers",
      access: "signature",
      params: hookParams,
      responses: {
        202: { description: "The run was started.", schema: runStartedSchema },
        409: { description: "This signature was already used (WEFT_E_WEBHOOK_REPLAY)." },
      },
      handler: async ({ params, ctx }) => {
        const hook = await c.store.triggers.webhook(params.triggerId);
        if (!hook) {
          throw new ApiError(ServerErrorCode.NotFound, `no enabled webhook trigger ${params.triggerId}`, {
            triggerId: params.triggerId,
          });
        }
        const rawBody = ctx.state.rawBody as string;
        const timestamp = ctx.get(TIMESTAMP_HEADER);
        const signature = ctx.get(SIGNATURE_HEADER);
        if (!/^\d{1,12}$/.test(timestamp) || !signature) {
          throw new ApiError(
            ServerErrorCode.WebhookSignature,
            `missing or malformed ${TIMESTAMP_HEADER} / ${SIGNATURE_HEADER} headers`,
            { headers: [TIMESTAMP_HEADER, SIGNATURE_HEADER] },
          );
        }
        const now = Date.now();
        const skew = Math.abs(now / 1000 - Number(timestamp));
        if (skew > c.webhookToleranceSec) {
          throw new ApiError(ServerErrorCode.WebhookSignature, "the webhook timestamp is outside the accepted window", {
            toleranceSec: c.webhookToleranceSec,
          });
        }
        const expected = Buffer.from(signWebhook(hook.secret, timestamp, rawBody));
        const given = Buffer.from(signature);
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
          throw new ApiError(ServerErrorCode.WebhookSignature, "the webhook signature does not match");
        }
        let body: unknown = null;
        if (rawBody.trim().length > 0) {
          try {
            body = JSON.parse(rawBody);
          } catch (error) {
            throw new ApiError(
              ServerErrorCode.MalformedJson,
              `webhook body is not valid JSON: ${(error as Error).message}`,
            );
          }
          rejectNul(body, "body");
        }
        const headers = passedHeaders(ctx.headers);
        rejectNul(headers, "header");
        const query = passedQuery(ctx.query as Record<string, string | string[] | undefined>);
        rejectNul(query, "query");
        // Exactly these four keys: trigger.webhook recognises the envelope by them (plugins/core).
        const input = { method: ctx.method, headers, query, body };
        // Recorded in PostgreSQL, so every API replica refuses the replay, and only now that the call
        // verified. A signature is valid for twice the tolerance (the timestamp may be early or late),
        // so the record is kept that long. The insert is the claim: of concurrent identical calls on
        // any replicas, exactly one records it and starts the run.
        const retainSec = c.webhookToleranceSec * 2 + DELIVERY_CLOCK_MARGIN_SEC;
        if (!(await c.store.triggers.recordDelivery(params.triggerId, signature, new Date(now), retainSec))) {
          throw new ApiError(ServerErrorCode.WebhookReplay, "this webhook call was already received");
        }
        let started: Awaited<ReturnType<typeof c.runtime.startRun>>;
        try {
          started = await c.runtime.startRun({
            workflowId: hook.trigger.workflowId,
            input: input as never,
            trigger: { type: "webhook", id: params.triggerId },
          });
        } catch (error) {
          // No run, so no delivery: the sender may retry the same call.
          await c.store.triggers.forgetDelivery(params.triggerId, signature).catch(() => undefined);
          throw error;
        }
        await audit(c, `trigger:${params.triggerId}`, "webhook.receive", `run:${started.runId}`, {
          after: { workflowId: hook.trigger.workflowId },
        });
        return ok({ runId: started.runId, status: started.status }, 202);
      },
    }),
  ];
}
