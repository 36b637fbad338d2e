import type { FallbackSettings } from './continuity.model.js';

/** Forward entries an audit entry lists; a change of more says how many it leaves out. */
const LISTED = 100;

export interface SettingsChanges {
  /** Each forward entry (number, or `default`) added (`from` null), changed, or removed (`to` null). */
  forward: Record<string, { from: string | null; to: string | null }>;
  forward_not_listed?: number;
  /** The downtime message before and after, when it changed. */
  message?: { from: FallbackSettings['message']; to: FallbackSettings['message'] };
}

/** What a settings change changed, for its audit entry: who changed the forward of a number to what. */
export function settingsChanges(before: Pick<FallbackSettings, 'forward' | 'message'>, after: Pick<FallbackSettings, 'forward' | 'message'>): SettingsChanges {
  const forward: SettingsChanges['forward'] = {};
  let count = 0;
  const note = (key: string, from: string | null, to: string | null) => {
    count += 1;
    if (count <= LISTED) forward[key] = { from, to };
  };
  for (const [key, to] of Object.entries(after.forward)) {
    const from = before.forward[key] ?? null;
    if (from !== to) note(key, from, to);
  }
  for (const [key, from] of Object.entries(before.forward)) {
    if (!Object.hasOwn(after.forward, key)) note(key, from, null);
  }
  const changes: SettingsChanges = { forward };
  if (count > LISTED) changes.forward_not_listed = count - LISTED;
  if (JSON.stringify(before.message) !== JSON.stringify(after.message)) changes.message = { from: before.message, to: after.message };
  return changes;
}
