// The committed OpenAPI document must describe the routes as they are.
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { buildOpenApiDocument, OPENAPI_COMMAND, OPENAPI_FILE } from "./openapi-file.ts";

/** `changeset version` bumps the package version; that alone does not make the document stale. */
function withoutVersion(document: Record<string, unknown>): Record<string, unknown> {
  const { info, ...rest } = document as { info: Record<string, unknown> };
  const { version: _version, ...otherInfo } = info;
  return { ...rest, info: otherInfo };
}

it("apps/server/openapi.json matches the route table", async () => {
  let committed: Record<string, unknown>;
  try {
    committed = JSON.parse(await readFile(OPENAPI_FILE, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${OPENAPI_FILE} (${(error as Error).message}); run \`${OPENAPI_COMMAND}\``);
  }
  expect(
    withoutVersion(committed),
    `apps/server/openapi.json is stale: run \`${OPENAPI_COMMAND}\` and commit the result`,
  ).toEqual(withoutVersion(buildOpenApiDocument()));
});

it("documents every route, including resuming a node waiting for a webhook", () => {
  const document = buildOpenApiDocument() as { paths: Record<string, Record<string, { operationId: string }>> };
  expect(document.paths["/api/runs/{id}/nodes/{nodeId}/resume"]?.post?.operationId).toBe("resumeRunNode");
  expect(document.paths["/api/workflows/{id}"]?.get?.operationId).toBe("getWorkflow");
});
