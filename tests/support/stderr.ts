/**
 * Runs `action` with what the process writes to stderr also kept (the services' log lines, when the
 * stack runs in the test's process), and returns the lines written meanwhile.
 */
export async function stderrDuring(action: () => Promise<unknown>): Promise<string[]> {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    chunks.push(String(chunk));
    return write(chunk, ...rest);
  };
  try {
    await action();
  } finally {
    process.stderr.write = write;
  }
  return chunks.join('').split('\n').filter(Boolean);
}
