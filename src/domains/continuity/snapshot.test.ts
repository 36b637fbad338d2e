import { describe, expect, it } from 'vitest';
import { createLogger } from '../../kernel/logger.js';
import type { ContinuityRow } from './continuity.repo.js';
import { RoutingSnapshots } from './snapshot.js';

const row = (enabled: boolean): ContinuityRow => ({
  settings: { forward: { default: '+18005550000' }, message: null, updated_at: null },
  activation: { enabled, changed_at: null, changed_by: null },
});

/** A database whose reads of the continuity row wait until the test lets each one answer. */
function slowDatabase() {
  let enabled = false;
  const pending: (() => void)[] = [];
  return {
    set enabled(value: boolean) {
      enabled = value;
    },
    reads: () => pending.length,
    answerAll: () => pending.splice(0).forEach((answer) => answer()),
    sources: {
      loadContinuity: () => {
        // The row as it is when the read reaches the database, answered later.
        const read = row(enabled);
        return new Promise<ContinuityRow>((resolve) => pending.push(() => resolve(read)));
      },
      loadNumbers: () => Promise.resolve([]),
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RoutingSnapshots', () => {
  it('does not install a load that read the database before this node switched continuity on', async () => {
    const db = slowDatabase();
    const snapshots = new RoutingSnapshots(db.sources, createLogger('silent'));
    const first = snapshots.get('acc');
    await settle();
    // The switch commits after the load read the row, and before the load answers.
    db.enabled = true;
    snapshots.setEnabled('acc', true);
    db.answerAll();
    await settle();
    expect(db.reads()).toBe(1);
    db.answerAll();
    expect((await first).enabled).toBe(true);
    expect((await snapshots.get('acc')).enabled).toBe(true);
  });

  it('keeps a snapshot this node installed over an older load that finishes after it', async () => {
    const db = slowDatabase();
    const snapshots = new RoutingSnapshots(db.sources, createLogger('silent'));
    const first = snapshots.get('acc');
    await settle();
    db.enabled = true;
    snapshots.put('acc', { enabled: true, forward: new Map(), defaultTarget: '+18005550000', message: null, inboundFlows: new Map() });
    db.answerAll();
    await settle();
    db.answerAll();
    await first;
    expect((await snapshots.get('acc')).enabled).toBe(true);
  });

  it('installs a load when nothing changed on this node meanwhile', async () => {
    const db = slowDatabase();
    const snapshots = new RoutingSnapshots(db.sources, createLogger('silent'));
    const first = snapshots.get('acc');
    await settle();
    db.answerAll();
    expect((await first).enabled).toBe(false);
    expect(db.reads()).toBe(0);
  });
});
