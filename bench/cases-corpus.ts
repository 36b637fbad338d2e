/**
 * The cases benchmark's data: one contact center's cases, generated from a seeded random source,
 * so SQLite and PostgreSQL get the same corpus. Statuses, priorities, types and assignees follow
 * a helpdesk's usual spread (most old cases closed, a few urgent ones, some unassigned); titles,
 * descriptions and notes are sentences about orders, invoices, logins, outages... with order
 * numbers, names and products, so the vocabulary has a long tail as real tickets do.
 */

/** Mulberry32: small, fast and the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
/** Picks by weight: `[[value, weight], ...]`. */
function weighted<T>(rng: Rng, table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let r = rng() * total;
  for (const [value, w] of table) {
    r -= w;
    if (r < 0) return value;
  }
  return (table[table.length - 1] as readonly [T, number])[0];
}

const PRODUCTS = [
  'the mobile app', 'the web portal', 'the router', 'the smart thermostat', 'the desk phone', 'the headset', 'the billing portal',
  'the iOS app', 'the Android app', 'the API', 'the door camera', 'the modem', 'the set-top box', 'the mesh extender', 'the smart plug',
  'the loyalty card', 'the gift card', 'the voicemail box', 'the softphone', 'the fibre connection',
];
const ACTIONS = [
  'opening the settings', 'uploading a photo', 'paying by card', 'switching accounts', 'joining a call', 'updating the firmware',
  'printing an invoice', 'exporting contacts', 'scanning the QR code', 'changing the password', 'logging out', 'resuming from sleep',
];
const PLANS = ['Basic', 'Plus', 'Premium', 'Business', 'Enterprise'];
const FIRST = ['Ana', 'Ben', 'Carla', 'David', 'Elena', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jamal', 'Kenji', 'Lena', 'Marta', 'Nadia', 'Omar', 'Priya', 'Rui', 'Sofia', 'Tomás', 'Zoë'];
const COMMON_LAST = ['Almeida', 'Brown', 'Costa', 'Dubois', 'Evans', 'Fischer', 'García', 'Hansen', 'Ivanova', 'Jensen', 'Kowalski', 'Lopes', 'Müller', "O'Brien", 'Novak', 'Silva', 'Tanaka', 'Weber'];
const HEADS = ['Al', 'Ber', 'Car', 'Dal', 'Ed', 'Fer', 'Gal', 'Har', 'Iv', 'Jan', 'Kar', 'Lo', 'Mar', 'Nor', 'Ol', 'Pe', 'Quin', 'Ros', 'Sil', 'Tor', 'Ul', 'Val', 'Wes', 'Yan', 'Zim'];
const TAILS = ['meida', 'nard', 'valho', 'ton', 'wards', 'reira', 'lagher', 'per', 'anov', 'sen', 'ski', 'pes', 'tins', 'dahl', 'iveira', 'lan', 'si', 'va', 'res', 'rich', 'ente', 'ley', 'mer', 'ova', 'quez'];
const ENDS = ['', 'son', 'ez', 'ini', 'berg'];
/**
 * Surnames with a long tail, as a customer base has them: the 18 common ones first, then 3,125
 * made of syllables; surname `k` is drawn with a weight of 1 / (k + 10), so the commonest covers
 * about 1.7% of the customers and most cover a few in ten thousand.
 */
export const SURNAMES = [...COMMON_LAST, ...HEADS.flatMap((h) => TAILS.flatMap((t) => ENDS.map((e) => `${h}${t}${e}`)))];
const surname = (rng: Rng) => {
  const n = SURNAMES.length;
  const k = Math.min(n - 1, Math.floor(10 * Math.exp(rng() * Math.log((n + 10) / 10)) - 10));
  return SURNAMES[k] as string;
};
const CITIES = ['Lisbon', 'Porto', 'Madrid', 'Paris', 'Berlin', 'Dublin', 'London', 'Warsaw', 'Prague', 'Vienna', 'Rome', 'Oslo'];
const SERVICES = ['email', 'voicemail', 'the payment gateway', 'SMS delivery', 'the status page', 'single sign-on', 'call recording', 'the IVR'];

const order = (rng: Rng) => `#${100000 + Math.floor(rng() * 900000)}`;
const invoice = (rng: Rng) => `INV-${2024 + Math.floor(rng() * 3)}-${String(Math.floor(rng() * 100000)).padStart(5, '0')}`;
const money = (rng: Rng) => `${(5 + rng() * 495).toFixed(2)} EUR`;

const TITLES: ((rng: Rng) => string)[] = [
  (r) => `Refund request for order ${order(r)}`,
  (r) => `Cannot log in to ${pick(r, PRODUCTS)}`,
  (r) => `${cap(pick(r, PRODUCTS))} crashes when ${pick(r, ACTIONS)}`,
  (r) => `Invoice ${invoice(r)} shows the wrong amount`,
  (r) => `Delivery of order ${order(r)} is late`,
  (r) => `Change the billing address for ${pick(r, CITIES)}`,
  (r) => `Question about ${pick(r, PLANS)} plan pricing`,
  () => 'Password reset email never arrives',
  (r) => `${cap(pick(r, PRODUCTS))} is slow since the last update`,
  (r) => `Cancel the ${pick(r, PLANS)} subscription`,
  (r) => `Charged twice for order ${order(r)}`,
  (r) => `Outage: ${pick(r, SERVICES)} unreachable in ${pick(r, CITIES)}`,
  (r) => `Upgrade from ${pick(r, PLANS)} to ${pick(r, PLANS)}`,
  (r) => `Replacement for a damaged ${pick(r, PRODUCTS).replace('the ', '')}`,
  (r) => `Wrong item received in order ${order(r)}`,
  (r) => `How do I set up ${pick(r, PRODUCTS)}?`,
];

const SENTENCES: ((rng: Rng) => string)[] = [
  (r) => `The customer says ${pick(r, PRODUCTS)} stopped working after ${pick(r, ACTIONS)}.`,
  (r) => `They were charged ${money(r)} on invoice ${invoice(r)} but expected less.`,
  (r) => `Order ${order(r)} was shipped to ${pick(r, CITIES)} instead of the new address.`,
  () => 'They already tried restarting the device and clearing the cache.',
  (r) => `The issue started yesterday around ${1 + Math.floor(r() * 12)} pm and happens every time.`,
  (r) => `Customer is on the ${pick(r, PLANS)} plan and wants to know the options.`,
  () => 'An error message appears: "Something went wrong, please try again later".',
  (r) => `Please call back on the mobile number, preferably before ${1 + Math.floor(r() * 6)} pm.`,
  () => 'The refund should go back to the original card.',
  (r) => `${pick(r, SERVICES)} has been failing intermittently for several users.`,
  () => 'They are unhappy with the waiting time and asked for a supervisor.',
  () => 'Screenshots are attached in the email thread.',
  (r) => `Serial number SN${Math.floor(r() * 1e8).toString(36).toUpperCase()} was checked against the warranty.`,
  () => 'Nothing in the logs explains the firmware rollback.',
];

const NOTES: ((rng: Rng) => string)[] = [
  (r) => `Called ${pick(r, FIRST)} back, no answer; left a voicemail.`,
  (r) => `Issued a partial refund of ${money(r)}.`,
  () => 'Escalated to the second line: reproducible on our side.',
  (r) => `Replacement shipped with tracking PT${Math.floor(r() * 1e9)}.`,
  () => 'Customer confirmed the workaround helps for now.',
  (r) => `Linked to the outage in ${pick(r, CITIES)}; waiting for the vendor.`,
  () => 'Asked for the router logs and a photo of the label.',
  () => 'Duplicate of an earlier ticket, merged the details here.',
];

const cap = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function title(rng: Rng): string {
  return pick(rng, TITLES)(rng);
}

/** What the customer wrote, starting with their name. */
export function description(rng: Rng, name: string): string {
  const count = 2 + Math.floor(rng() * 3);
  const sentences = [`${name} contacted us.`];
  for (let i = 0; i < count; i++) sentences.push(pick(rng, SENTENCES)(rng));
  return sentences.join(' ');
}

export function note(rng: Rng): string {
  return pick(rng, NOTES)(rng);
}

/** Customer `k`'s name, the same on every case of theirs. */
export const requesterName = (k: number) => {
  const rng = random(k * 104_729 + 3);
  return `${pick(rng, FIRST)} ${surname(rng)}`;
};

export { pick, weighted };
