// `weft migrate`: applies the store's migrations to DATABASE_URL or the embedded database.
import { migrate } from "@weft/store";
import { openLocalStore } from "../environment.ts";

export async function migrateCommand(): Promise<number> {
  if (process.env.DATABASE_URL) {
    const applied = await migrate(process.env.DATABASE_URL);
    process.stdout.write(applied.length ? `✓ applied ${applied.join(", ")}\n` : "✓ the database is up to date\n");
    return 0;
  }
  // Opening the embedded store applies pending migrations.
  const store = await openLocalStore();
  await store.close();
  process.stdout.write("✓ the embedded database is up to date\n");
  return 0;
}
