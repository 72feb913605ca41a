// The committed OpenAPI document (apps/server/openapi.json): built from the route table alone, with
// no store, runtime or plugins behind it, so clients and reviewers get the API's shape from the
// repository. `pnpm --filter @weft/server openapi` rewrites it; a test fails when it is stale.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { RouteContext } from "./context.ts";
import { openApiDocument } from "./openapi.ts";
import { routeTable, SERVER_VERSION } from "./server.ts";

/** Where the committed document lives. */
export const OPENAPI_FILE: string = fileURLToPath(new URL("../openapi.json", import.meta.url));

/** The command that regenerates {@link OPENAPI_FILE}. */
export const OPENAPI_COMMAND = "pnpm --filter @weft/server openapi";

/** The OpenAPI document of the routes of this version of the server. */
export function buildOpenApiDocument(): Record<string, unknown> {
  // Building routes touches none of their services; only handlers would, and none runs here.
  const absent = new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`the route table was built for its document only (used: ${String(property)})`);
      },
    },
  );
  const context = {
    store: absent,
    runtime: absent,
    catalog: absent,
    logger: absent,
    metrics: absent,
    version: SERVER_VERSION,
    webhookToleranceSec: 300,
    forgetKeys() {},
  } as unknown as RouteContext;
  const routes = routeTable(context, () => document);
  const document = openApiDocument(routes, { version: SERVER_VERSION });
  return document;
}

/** The document as committed: two-space JSON with a final newline. */
export function openApiFileText(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

/** Writes {@link OPENAPI_FILE} and returns its path. */
export async function writeOpenApiFile(file: string = OPENAPI_FILE): Promise<string> {
  await writeFile(file, openApiFileText());
  return file;
}
