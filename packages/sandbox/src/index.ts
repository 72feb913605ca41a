import pkg from "../package.json" with { type: "json" };

/** The version of @weft/sandbox that is running. */
export const VERSION: string = pkg.version;
