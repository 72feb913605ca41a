// `pnpm --filter @weft/server openapi`: rewrites apps/server/openapi.json from the route table.
import { writeOpenApiFile } from "../src/openapi-file.ts";

const file = await writeOpenApiFile();
process.stdout.write(`wrote ${file}\n`);
