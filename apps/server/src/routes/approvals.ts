// Human approvals: list what waits, decide exactly once (then the run resumes), or delegate.
import { z } from "zod";
import { audit, type RouteContext } from "../context.ts";
import { ApiError, ServerErrorCode } from "../errors.ts";
import { ROLES, type Role, roleAtLeast } from "../http/auth.ts";
import { type Actor, type AnyRoute, defineRoute, ok } from "../http/route.ts";
import { approvalListQuery, approvalSchema, decisionBody, delegateBody, idParams } from "../schemas.ts";

function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** True when `user` names the key behind `actor`: its name, its audit identity or its id. */
function isActorUser(actor: Actor, user: string): boolean {
  return user === actor.name || user === actor.id || user === actor.keyId;
}

export function approvalRoutes(c: RouteContext): AnyRoute[] {
  const load = async (id: string) => {
    const approval = await c.store.approvals.get(id);
    if (!approval) throw new ApiError(ServerErrorCode.NotFound, `approval ${id} not found`, { approvalId: id });
    return approval;
  };
  /**
   * Who may decide or delegate: an approval addressed to a user belongs to that user (an API key
   * matching by name, `apikey:<id>` or id) and to admins; otherwise it needs at least its approver role.
   */
  const checkApprover = (
    approval: { approverRole: string | null; approverUser: string | null },
    actor: Actor | undefined,
  ) => {
    if (!actor) return;
    const user = approval.approverUser;
    if (user !== null && user !== "") {
      if (actor.role === "admin" || isActorUser(actor, user)) return;
      throw new ApiError(
        ServerErrorCode.Forbidden,
        `this approval is addressed to ${user}; only that user or an admin may act on it`,
        { approverUser: user, actor: actor.id, role: actor.role },
      );
    }
    if (isRole(approval.approverRole) && !roleAtLeast(actor.role, approval.approverRole)) {
      throw new ApiError(
        ServerErrorCode.Forbidden,
        `this approval needs the ${approval.approverRole} role; the key has ${actor.role}`,
        { required: approval.approverRole, role: actor.role },
      );
    }
  };

  const decide = (decision: "approved" | "rejected", verb: "approve" | "reject"): AnyRoute =>
    defineRoute({
      method: "post",
      path: `/api/approvals/:id/${verb}`,
      operationId: `${verb}Approval`,
      summary: `${verb === "approve" ? "Approve" : "Reject"} a pending approval; the run continues`,
      tag: "approvals",
      access: "operator",
      params: idParams,
      body: decisionBody,
      responses: {
        200: { description: "The decided approval.", schema: approvalSchema },
        409: { description: "Already decided or expired (WEFT_E_STORE_CONFLICT)." },
      },
      handler: async ({ params, body, actor }) => {
        checkApprover(await load(params.id), actor);
        const by = actor?.id ?? "anonymous";
        const decided = await c.store.approvals.decide(params.id, { decision, by, comment: body.comment ?? null });
        await audit(c, actor, `approval.${verb}`, `approval:${params.id}`, {
          after: { status: decided.status, comment: decided.comment, runId: decided.runId, nodeId: decided.nodeId },
        });
        await c.runtime.resumeRun(decided.runId, decided.nodeId, {
          decision,
          by,
          ...(body.comment !== undefined ? { comment: body.comment } : {}),
        });
        return ok(decided);
      },
    });

  return [
    defineRoute({
      method: "get",
      path: "/api/approvals",
      operationId: "listApprovals",
      summary: "Pending approvals (optionally of one run)",
      tag: "approvals",
      access: "viewer",
      query: approvalListQuery,
      responses: { 200: { description: "Approvals.", schema: z.object({ items: z.array(approvalSchema) }) } },
      handler: async ({ query }) =>
        ok({ items: await c.store.approvals.listPending(query.runId ? { runId: query.runId } : {}) }),
    }),
    decide("approved", "approve"),
    decide("rejected", "reject"),
    defineRoute({
      method: "post",
      path: "/api/approvals/:id/delegate",
      operationId: "delegateApproval",
      summary: "Hand a pending approval to another user and/or role",
      tag: "approvals",
      access: "operator",
      params: idParams,
      body: delegateBody,
      responses: { 200: { description: "The delegated approval.", schema: approvalSchema } },
      handler: async ({ params, body, actor }) => {
        const before = await load(params.id);
        checkApprover(before, actor);
        const delegated = await c.store.approvals.delegate(params.id, {
          by: actor?.id ?? "anonymous",
          // Handing it to a role alone takes it from the user it was addressed to.
          toUser: body.toUser ?? null,
          ...(body.toRole !== undefined ? { toRole: body.toRole } : {}),
        });
        await audit(c, actor, "approval.delegate", `approval:${params.id}`, {
          before: { approverRole: before.approverRole, approverUser: before.approverUser },
          after: { approverRole: delegated.approverRole, approverUser: delegated.approverUser, comment: body.comment },
        });
        return ok(delegated);
      },
    }),
  ];
}
