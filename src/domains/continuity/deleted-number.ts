import type { Executor } from '../../ports/storage.js';
import type { Clock } from '../../kernel/clock.js';
import { newId } from '../../kernel/ids.js';
import { continuityRepo } from './continuity.repo.js';

/**
 * Run inside the transaction that deletes one of the account's numbers: its forward entry goes
 * with it (audited like any settings change), so the stored settings only ever name the
 * account's numbers and what GET returns can always be PUT back.
 */
export async function dropForwardOfDeletedNumber(
  executor: Executor,
  clock: Clock,
  deletion: { accountId: string; number: string; actor: string },
): Promise<void> {
  const repo = continuityRepo(executor);
  const { settings } = await repo.load(deletion.accountId);
  if (!Object.hasOwn(settings.forward, deletion.number)) return;
  const { [deletion.number]: target, ...forward } = settings.forward;
  const now = clock.now();
  await repo.saveSettings(deletion.accountId, { ...settings, forward, updated_at: now.toISOString() });
  await repo.insertAudit(deletion.accountId, {
    id: newId(now.getTime()),
    change: 'settings',
    actor: deletion.actor,
    detail: { forward_removed: { [deletion.number]: target }, reason: 'number deleted' },
    created_at: now.toISOString(),
  });
}
