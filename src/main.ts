import { loadConfig, ConfigError } from './config/config.js';
import { createApp } from './app.js';
import { holdSqliteServerLock } from './adapters/storage/sqlite-server-lock.js';

/** How long after the grace the worker's stop and the database's close may take before the process exits regardless. */
const FORCED_EXIT_AFTER_GRACE_MS = 20_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const releaseLock = holdSqliteServerLock(config.DATABASE_URL);
  const app = await createApp(config);
  try {
    await app.server.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    // The port is taken (or the host unknown): hand back the jobs the worker may have claimed meanwhile before exiting.
    await app.close().catch(() => undefined);
    throw error;
  }
  if (!config.SWITCHBOARD_ADMIN_TOKEN) {
    app.server.log.warn('SWITCHBOARD_ADMIN_TOKEN is not set: /admin/* answers 404; use `npm run switchboard -- accounts create` instead');
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.server.log.info({ signal }, 'shutting down');
    // Requests still in flight after the grace (a client uploading slowly) are cut off, so the
    // node stops within its orchestrator's own grace period instead of being killed mid-write;
    // the worker then gets its own bounded wait, and a shutdown that still hangs ends the process.
    const graceMs = config.SWITCHBOARD_SHUTDOWN_GRACE_S * 1000;
    setTimeout(() => {
      app.server.log.warn({ graceS: config.SWITCHBOARD_SHUTDOWN_GRACE_S }, 'requests still in flight after the shutdown grace are cut off');
      app.server.server.closeAllConnections();
    }, graceMs).unref();
    setTimeout(() => {
      app.server.log.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, graceMs + FORCED_EXIT_AFTER_GRACE_MS).unref();
    app.close().then(
      () => {
        releaseLock();
        process.exit(0);
      },
      (error: unknown) => {
        app.server.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const hint = startupHint(error);
  process.stderr.write(`switchboard failed to start: ${error instanceof Error ? error.message : String(error)}\n${hint ? `${hint}\n` : ''}`);
  if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});

/** What to do about the usual reasons a server does not start, in one line. */
function startupHint(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? ((error as { cause?: NodeJS.ErrnoException } | undefined)?.cause?.code);
  if (code === 'EADDRINUSE') return 'The port is taken: another server (perhaps another Switchboard) listens there. Stop it, or set PORT.';
  if (code === 'EADDRNOTAVAIL') return 'HOST names no address of this machine: set HOST (0.0.0.0 for every interface).';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') return 'The database cannot be reached: check DATABASE_URL, and that PostgreSQL runs and accepts connections there.';
  if (code === '28P01' || code === '28000') return 'PostgreSQL refused the credentials in DATABASE_URL.';
  if (code === '3D000') return 'The database named in DATABASE_URL does not exist: create it first (createdb).';
  return undefined;
}
