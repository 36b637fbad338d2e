import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { casesApi, sortedIds, type Listed } from './cases-list-support.js';

/**
 * Full text (`q`): every word must occur in the title, the description or a note; words are runs
 * of letters and digits, matched whole and case-insensitively, accents significant. The same
 * expectations hold on SQLite (FTS5) and PostgreSQL (tsvector).
 */
describe.each(DATABASES)('GET /cases?q= full text (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  const api = () => casesApi(t, clock);
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  /** Cases keyed by a short name, with punctuation, case, accents, e-mail addresses, URLs and notes. */
  async function corpus(acct: TestAccount): Promise<Record<string, Listed>> {
    const a = api();
    const made: Record<string, Listed> = {
      refund: await a.create(acct, { title: 'Refund for order #1234', description: 'Customer jane.doe@example.com wants her money back.' }),
      firmware: await a.create(acct, { title: 'Router keeps rebooting', description: 'Firmware v2.3.1 installed; the wi-fi drops every hour.' }),
      cafe: await a.create(acct, { title: 'Café Müller: wrong invoice', description: 'Invoice INV-2026-001 lists 3.14 EUR too much.' }),
      password: await a.create(acct, { title: 'Password reset' }),
      replacement: await a.create(acct, { title: 'ROUTER replacement', description: 'Ship a new router: https://shop.example.com/orders/77', priority: 'urgent' }),
      printer: await a.create(acct, { title: 'Printer on fire', description: 'Third floor' }),
      greek: await a.create(acct, { title: 'Ο ΔΡΌΜΟΣ ΚΛΕΙΣΤΟΣ', description: 'ο σταθμός' }),
    };
    await a.note(acct, made.password?.id ?? '', "Customer O'Brien called back — issue solved");
    await a.note(acct, made.printer?.id ?? '', 'The router nearby is smoking too');
    await a.note(acct, made.printer?.id ?? '', 'Facilities informed (ticket FAC_881)');
    return made;
  }

  const search = async (acct: TestAccount, q: string, extra = '') => sortedIds((await api().all(acct, `?q=${encodeURIComponent(q)}${extra}`)).cases);

  it('matches every word of the query in the title, the description or a note', async () => {
    const acct = await t.newAccount();
    const c = await corpus(acct);
    const id = (...names: string[]) => names.map((n) => c[n]?.id ?? '').sort();
    const expectations: [string, string[]][] = [
      ['router', id('firmware', 'replacement', 'printer')],
      ['Router', id('firmware', 'replacement', 'printer')],
      ['ROUTER firmware', id('firmware')],
      ['router smoking', id('printer')],
      ['smoking', id('printer')],
      ['facilities FAC 881', id('printer')],
      ['fac_881', id('printer')],
      ['refund order 1234', id('refund')],
      ['#1234', id('refund')],
      ['refund 9999', []],
      ['jane', id('refund')],
      ['jane.doe@example.com', id('refund')],
      ['example', id('refund', 'replacement')],
      ['https://shop.example.com/orders/77', id('replacement')],
      ['orders 77', id('replacement')],
      ['wi-fi', id('firmware')],
      ['fi', id('firmware')],
      ['wifi', []],
      ['v2.3.1', id('firmware')],
      ['2.3.1', []],
      ['v2', id('firmware')],
      ['3.14', id('cafe')],
      ['INV-2026-001', id('cafe')],
      ['001', id('cafe')],
      ['1', id('firmware')],
      ['2', []],
      ['café', id('cafe')],
      ['CAFÉ', id('cafe')],
      ['cafe', []],
      ['Müller', id('cafe')],
      ['müller invoice', id('cafe')],
      ["O'Brien", id('password')],
      ['brien', id('password')],
      ['solved', id('password')],
      ['—solved—', id('password')],
      ['rebooting', id('firmware')],
      ['reboot', []],
      ['route', []],
      ['the', id('firmware', 'printer')],
      // Query syntax of either database is just words here.
      ['router OR printer', []],
      ['"router"', id('firmware', 'replacement', 'printer')],
      ['router*', id('firmware', 'replacement', 'printer')],
      ['NEAR(router printer)', []],
      ['printer & !router', id('printer')],
      ['title:router', []],
      // Σ lower-cases to σ, and a word-final ς is the same letter.
      ['κλειστος', id('greek')],
      ['Δρόμος', id('greek')],
      ['ΣΤΑΘΜΌΣ', id('greek')],
      ['δρομος', []],
    ];
    for (const [q, expected] of expectations) expect(await search(acct, q), q).toEqual(expected);
  });

  it('finds accented words however they are composed (NFC or NFD), in the text and in the query', async () => {
    const acct = await t.newAccount();
    const composed = await api().create(acct, { title: 'Caf\u00e9 order' });
    const decomposed = await api().create(acct, { title: 'Cafe\u0301 invoice' });
    for (const q of ['caf\u00e9', 'cafe\u0301']) expect(await search(acct, q)).toEqual(sortedIds([composed, decomposed]));
    expect(await search(acct, 'cafe')).toEqual([]);
  });

  it('follows changes: a new title or description, a new note', async () => {
    const acct = await t.newAccount();
    const a = api();
    const c = await corpus(acct);
    const firmware = c.firmware?.id ?? '';
    await a.patch(acct, firmware, { description: 'Replaced the power supply.' });
    expect(await search(acct, 'wi-fi')).toEqual([]);
    expect(await search(acct, 'power supply')).toEqual([firmware]);
    await a.patch(acct, firmware, { title: 'Modem keeps rebooting' });
    expect(await search(acct, 'router rebooting')).toEqual([]);
    expect(await search(acct, 'modem')).toEqual([firmware]);
    await a.note(acct, firmware, 'Router swapped for a modem');
    expect(await search(acct, 'router rebooting')).toEqual([firmware]);
  });

  it('keeps taking notes on a case with megabytes of text (PostgreSQL indexes its first 160,000 characters)', async () => {
    const acct = await t.newAccount();
    const a = api();
    const big = await a.create(acct, { title: 'Log dump' });
    const word = (i: number) => createHash('md5').update(String(i)).digest('hex');
    // 12 notes of ~99,000 characters of distinct words: more than a tsvector holds.
    for (let n = 0; n < 12; n++) await a.note(acct, big.id, Array.from({ length: 3000 }, (_, i) => word(n * 3000 + i)).join(' '));
    expect(await search(acct, `log ${word(0)} ${word(4000)}`)).toEqual([big.id]);
    // Distinct Cyrillic words take twice the bytes a letter: 500,000 characters of them overflowed a tsvector.
    const cyrillic = (i: number) => [...word(i).slice(0, 8)].map((digit) => 'абвгдежзийклмноп'[Number.parseInt(digit, 16)]).join('');
    const russian = await a.create(acct, { title: 'Журнал' });
    for (let n = 0; n < 6; n++) await a.note(acct, russian.id, Array.from({ length: 11_000 }, (_, i) => cyrillic(n * 11_000 + i)).join(' '));
    expect(await search(acct, `журнал ${cyrillic(1)}`)).toEqual([russian.id]);
  });

  it('combines with filters and every sort, and pages through the matches', async () => {
    const acct = await t.newAccount();
    const a = api();
    const made: Listed[] = [];
    for (let i = 0; i < 9; i++) {
      made.push(await a.create(acct, { title: `Outage ${i % 2 === 0 ? 'Lisbon' : 'Porto'} region`, priority: i % 3 === 0 ? 'high' : 'low' }, i % 4 === 0 ? 0 : 1000));
    }
    await a.create(acct, { title: 'Unrelated' });
    const lisbon = made.filter((_, i) => i % 2 === 0);
    for (const sort of ['created_at', 'updated_at', 'priority']) {
      for (const order of ['asc', 'desc']) {
        const { cases, pages } = await a.all(acct, `?q=lisbon%20OUTAGE&sort=${sort}&order=${order}&per_page=2`);
        expect(sortedIds(cases), `${sort} ${order}`).toEqual(sortedIds(lisbon));
        expect(pages[0]?.total).toBe(lisbon.length);
      }
    }
    expect(await search(acct, 'outage lisbon', '&priority=high')).toEqual(sortedIds(lisbon.filter((c) => c.priority === 'high')));
    const after = made[4]?.created_at ?? '';
    expect(await search(acct, 'outage', `&created_from=${after}`)).toEqual(sortedIds(made.filter((c) => c.created_at >= after)));
  });
});
