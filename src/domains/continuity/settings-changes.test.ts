import { describe, expect, it } from 'vitest';
import { settingsChanges } from './settings-changes.js';

const message = (text: string) => ({ downtime_message: text, language: 'en-US' });

describe('settingsChanges', () => {
  it('lists each forward added, changed and removed, and the message before and after', () => {
    const before = { forward: { '+14155550100': '+14155559999', '+14155550101': '+14155558888', default: '+18005550000' }, message: message('Down') };
    const after = { forward: { '+14155550100': '+14155557777', default: '+18005550000', '+14155550102': '+14155556666' }, message: message('Down, sorry') };
    expect(settingsChanges(before, after)).toEqual({
      forward: {
        '+14155550100': { from: '+14155559999', to: '+14155557777' },
        '+14155550102': { from: null, to: '+14155556666' },
        '+14155550101': { from: '+14155558888', to: null },
      },
      message: { from: message('Down'), to: message('Down, sorry') },
    });
  });

  it('lists nothing when nothing changed, and at most 100 forwards with the count of the rest', () => {
    const same = { forward: { default: '+18005550000' }, message: null };
    expect(settingsChanges(same, same)).toEqual({ forward: {} });
    const many = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`+1415555${String(i).padStart(4, '0')}`, '+18005550000']));
    const changes = settingsChanges({ forward: {}, message: null }, { forward: many, message: null });
    expect(Object.keys(changes.forward)).toHaveLength(100);
    expect(changes.forward_not_listed).toBe(150);
  });
});
