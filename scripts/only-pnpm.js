// Guard for `preinstall`: this workspace is managed by pnpm (see package.json `packageManager`).
const agent = process.env.npm_config_user_agent ?? "";
if (!agent.startsWith("pnpm/")) {
  console.error("weft: use pnpm to install this workspace (`. .ci/toolchain.sh && pnpm install`).");
  process.exit(1);
}
