// Signal handling for long-running commands: the first SIGINT/SIGTERM stops gracefully, a second
// one exits at once.
export function onShutdown(stop: () => Promise<void>): void {
  let signals = 0;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // The process drains first; store.close() (inside stop) also stops an embedded cluster.
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
