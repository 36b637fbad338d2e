/**
 * `npm run bench -- <name>`: runs one benchmark by name. Each benchmark module exports
 * `run(args)`, prints its own figures beside its peer's, and stops everything it started.
 */
type Benchmark = () => Promise<{ run(args: string[]): Promise<void> }>;

const BENCHMARKS: Record<string, Benchmark> = {
  continuity: () => import('./continuity.js'),
  callbacks: () => import('./callbacks.js'),
  flows: () => import('./flows.js'),
  cases: () => import('./cases.js'),
  messaging: () => import('./messaging.js'),
};

function usage(): string {
  return `usage: npm run bench -- <name> [args]\n\nbenchmarks:\n${Object.keys(BENCHMARKS).map((name) => `  ${name}`).join('\n')}\n`;
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const load = name === undefined ? undefined : BENCHMARKS[name];
  if (!load) {
    process.stderr.write(name === undefined || name === '--help' || name === '-h' ? usage() : `unknown benchmark: ${name}\n\n${usage()}`);
    process.exit(1);
  }
  const benchmark = await load();
  await benchmark.run(args);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
