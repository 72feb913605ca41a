// Workflows: CRUD of the draft, validation, immutable published versions, and starting runs.

import type { Json, WorkflowDefinition } from "@weft/kernel";
import { workflowDefinitionSchema } from "@weft/kernel";
import { z } from "zod";
import { audit, loadWorkflow, type RouteContext } from "../context.ts";
import { ApiError, ServerErrorCode } from "../errors.ts";
import { type AnyRoute, defineRoute, ok } from "../http/route.ts";
import {
  executeBody,
  idParams,
  pageOf,
  publishBody,
  runStartedSchema,
  validationResultSchema,
  versionParams,
  workflowListQuery,
  workflowSchema,
  workflowStatusSchema,
  workflowVersionSchema,
} from "../schemas.ts";
import { assertValidDefinition, definitionIssues, issuesByNode, pluginVersionsOf } from "../workflow-check.ts";

const metadata = {
  description: z.string().max(10_000).nullable().optional(),
  category: z.string().max(200).nullable().optional(),
  tags: z.array(z.string().min(1).max(100)).max(50).optional(),
  status: workflowStatusSchema.optional(),
};

const createBody = z.object({
  name: z.string().min(1).max(200).optional().meta({ description: "Defaults to definition.name." }),
  ...metadata,
  definition: workflowDefinitionSchema,
});

const updateBody = z.object({
  name: z.string().min(1).max(200).optional(),
  ...metadata,
  definition: workflowDefinitionSchema.optional(),
});

const validateBody = z.object({
  definition: z.unknown().optional().meta({ description: "A definition to check instead of the saved draft." }),
});

export function workflowRoutes(c: RouteContext): AnyRoute[] {
  const load = (id: string) => loadWorkflow(c, id);

  return [
    defineRoute({
      method: "get",
      path: "/api/workflows",
      operationId: "listWorkflows",
      summary: "List workflows (filter by category, status, tag, text; paginated)",
      tag: "workflows",
      access: "viewer",
      query: workflowListQuery,
      responses: { 200: { description: "A page of workflows (without definitions).", schema: pageOf(workflowSchema) } },
      handler: async ({ query }) => {
        const page = await c.store.workflows.list(query);
        return ok({ items: page.items, total: page.total, limit: query.limit, offset: query.offset });
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/workflows",
      operationId: "createWorkflow",
      summary: "Create a workflow from a valid definition",
      tag: "workflows",
      access: "editor",
      body: createBody,
      responses: { 201: { description: "Created.", schema: workflowSchema } },
      handler: async ({ body, actor }) => {
        assertValidDefinition(c.catalog, body.definition);
        const created = await c.store.workflows.create({
          name: body.name ?? body.definition.name,
          description: body.description ?? body.definition.description ?? null,
          category: body.category ?? null,
          tags: body.tags ?? [],
          status: body.status ?? "draft",
          owner: actor?.id ?? null,
          definition: body.definition as unknown as Json,
        });
        await audit(c, actor, "workflow.create", `workflow:${created.id}`, { after: created });
        return ok(created, 201);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/workflows/:id",
      operationId: "getWorkflow",
      summary: "A workflow with its draft definition",
      tag: "workflows",
      access: "viewer",
      params: idParams,
      responses: { 200: { description: "The workflow.", schema: workflowSchema } },
      handler: async ({ params }) => ok(await load(params.id)),
    }),
    defineRoute({
      method: "put",
      path: "/api/workflows/:id",
      operationId: "updateWorkflow",
      summary: "Update a workflow's metadata and/or draft definition",
      tag: "workflows",
      access: "editor",
      params: idParams,
      body: updateBody,
      responses: { 200: { description: "Updated.", schema: workflowSchema } },
      handler: async ({ params, body, actor }) => {
        const before = await load(params.id);
        if (body.definition) assertValidDefinition(c.catalog, body.definition);
        const { definition, ...patch } = body;
        const after = await c.store.workflows.update(params.id, {
          ...patch,
          ...(definition ? { definition: definition as unknown as Json } : {}),
        });
        await audit(c, actor, "workflow.update", `workflow:${params.id}`, { before, after });
        return ok(after);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/workflows/:id",
      operationId: "deleteWorkflow",
      summary: "Delete a workflow (409 while it has active runs)",
      tag: "workflows",
      access: "editor",
      params: idParams,
      responses: { 204: { description: "Deleted." }, 409: { description: "Active runs (WEFT_E_STORE_CONFLICT)." } },
      handler: async ({ params, actor }) => {
        const before = await load(params.id);
        await c.store.workflows.delete(params.id);
        await audit(c, actor, "workflow.delete", `workflow:${params.id}`, { before });
        return { status: 204, body: null };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/workflows/:id/validate",
      operationId: "validateWorkflow",
      summary: "Check the draft (or a given definition): every problem at once, per node",
      tag: "workflows",
      access: "viewer",
      params: idParams,
      body: validateBody,
      responses: { 200: { description: "The validation result.", schema: validationResultSchema } },
      handler: async ({ params, body }) => {
        const workflow = await load(params.id);
        const issues = definitionIssues(c.catalog, body.definition ?? workflow.definition);
        return ok({ valid: issues.length === 0, issues, nodes: issuesByNode(issues) });
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/workflows/:id/publish",
      operationId: "publishWorkflow",
      summary: "Publish the draft as an immutable version",
      tag: "workflows",
      access: "editor",
      params: idParams,
      body: publishBody,
      responses: {
        201: { description: "The new version.", schema: workflowVersionSchema },
        409: { description: "The version is not greater than the latest (WEFT_E_STORE_CONFLICT)." },
      },
      handler: async ({ params, body, actor }) => {
        const workflow = await load(params.id);
        assertValidDefinition(c.catalog, workflow.definition);
        const definition = workflow.definition as WorkflowDefinition;
        const version = await c.store.workflows.publish(params.id, {
          definition: definition as unknown as Json,
          ...(body.version ? { version: body.version } : {}),
          notes: body.notes ?? null,
          pluginVersions: pluginVersionsOf(c.catalog, definition),
          publishedBy: actor?.id ?? null,
        });
        await audit(c, actor, "workflow.publish", `workflow:${params.id}`, {
          after: { version: version.version, versionId: version.id },
        });
        return ok(version, 201);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/workflows/:id/versions",
      operationId: "listWorkflowVersions",
      summary: "Published versions, newest first",
      tag: "workflows",
      access: "viewer",
      params: idParams,
      responses: {
        200: { description: "Versions.", schema: z.object({ items: z.array(workflowVersionSchema) }) },
      },
      handler: async ({ params }) => {
        await load(params.id);
        return ok({ items: await c.store.workflows.listVersions(params.id) });
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/workflows/:id/versions/:version",
      operationId: "getWorkflowVersion",
      summary: "One published version (semver or `latest`)",
      tag: "workflows",
      access: "viewer",
      params: versionParams,
      responses: { 200: { description: "The version.", schema: workflowVersionSchema } },
      handler: async ({ params }) => {
        await load(params.id);
        const version = await c.store.workflows.getVersion(params.id, params.version);
        if (!version) {
          throw new ApiError(ServerErrorCode.NotFound, `workflow ${params.id} has no version ${params.version}`, {
            workflowId: params.id,
            version: params.version,
          });
        }
        return ok(version);
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/workflows/:id/execute",
      operationId: "executeWorkflow",
      summary: "Start a run of a published version (default: latest; the draft when none is published)",
      tag: "workflows",
      access: "operator",
      params: idParams,
      body: executeBody,
      responses: { 202: { description: "The run was started.", schema: runStartedSchema } },
      handler: async ({ params, body, actor }) => {
        const workflow = await load(params.id);
        let started: { runId: string; status: string };
        if (body.version !== undefined || workflow.latestVersion) {
          if (body.version !== undefined && !(await c.store.workflows.getVersion(params.id, body.version))) {
            throw new ApiError(ServerErrorCode.NotFound, `workflow ${params.id} has no version ${body.version}`, {
              workflowId: params.id,
              version: body.version,
            });
          }
          started = await c.runtime.startRun({
            workflowId: params.id,
            ...(body.version ? { version: body.version } : {}),
            input: body.input ?? null,
            trigger: { type: "api" },
          });
        } else {
          const definition = workflow.definition;
          assertValidDefinition(c.catalog, definition);
          started = await c.runtime.startRun({
            workflowId: params.id,
            definition: definition as WorkflowDefinition,
            input: body.input ?? null,
            trigger: { type: "api" },
          });
        }
        await audit(c, actor, "run.start", `run:${started.runId}`, {
          after: { workflowId: params.id, version: body.version ?? workflow.latestVersion ?? "draft" },
        });
        return ok({ runId: started.runId, status: started.status }, 202);
      },
    }),
  ];
}
