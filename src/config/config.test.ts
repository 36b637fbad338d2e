import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseEnv } from './config.js';

describe('config', () => {
  it('applies the documented defaults', () => {
    expect(parseEnv({})).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite:./data/switchboard.db',
      SWITCHBOARD_TELEPHONY: 'simulated',
      SWITCHBOARD_WORKER: true,
    });
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      parseEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SWITCHBOARD_ADMIN_TOKEN: 'short', SWITCHBOARD_TELEPHONY: 'carrier-pigeon' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(problems.sort()).toEqual(['DATABASE_URL', 'PORT', 'SWITCHBOARD_ADMIN_TOKEN', 'SWITCHBOARD_TELEPHONY']);
  });

  it('reads which proxies to trust: none by default, all, a hop count, or addresses', () => {
    expect(parseEnv({}).SWITCHBOARD_TRUST_PROXY).toBe(false);
    expect(parseEnv({ SWITCHBOARD_TRUST_PROXY: 'true' }).SWITCHBOARD_TRUST_PROXY).toBe(true);
    expect(parseEnv({ SWITCHBOARD_TRUST_PROXY: '0' }).SWITCHBOARD_TRUST_PROXY).toBe(false);
    expect(parseEnv({ SWITCHBOARD_TRUST_PROXY: '2' }).SWITCHBOARD_TRUST_PROXY).toBe(2);
    expect(parseEnv({ SWITCHBOARD_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).SWITCHBOARD_TRUST_PROXY).toBe('10.0.0.0/8, 127.0.0.1');
    expect(() => parseEnv({ SWITCHBOARD_TRUST_PROXY: 'yes please' })).toThrow(ConfigError);
  });

  it('treats an empty variable as unset', () => {
    const parsed = parseEnv({ SWITCHBOARD_ADMIN_TOKEN: '', PORT: '' });
    expect(parsed.SWITCHBOARD_ADMIN_TOKEN).toBeUndefined();
    expect(parsed.PORT).toBe(3000);
  });

  it('refuses numbers written other than in digits, and addresses or CIDRs that are none, naming the variable', () => {
    for (const [name, value] of [['PORT', ' '], ['PORT', '0x10D3'], ['PORT', '1e3'], ['SWITCHBOARD_TOKEN_TTL_S', '0x100'], ['SWITCHBOARD_EGRESS_ALLOW', '999.1.1.1/99'], ['SWITCHBOARD_EGRESS_ALLOW', '10.0.0.0/33'], ['SWITCHBOARD_EGRESS_ALLOW', '::1/129'], ['SWITCHBOARD_TRUST_PROXY', '999.1.1.1/99'], ['SWITCHBOARD_TRUST_PROXY', '10.0.0.1/8/8']]) {
      const failure = (() => {
        try {
          parseEnv({ [name as string]: value });
          return undefined;
        } catch (error) {
          return error;
        }
      })();
      expect(failure, `${name}=${value}`).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).problems[0]).toMatch(new RegExp(`^${name}: `));
    }
    expect(parseEnv({ PORT: ' 4000 ' }).PORT).toBe(4000);
    expect(parseEnv({ SWITCHBOARD_EGRESS_ALLOW: '10.0.0.0/8, ::1, 192.168.1.10, fd00::/8' }).SWITCHBOARD_EGRESS_ALLOW).toEqual(['10.0.0.0/8', '::1', '192.168.1.10', 'fd00::/8']);
    expect(parseEnv({ SWITCHBOARD_TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).SWITCHBOARD_TRUST_PROXY).toBe('10.0.0.0/8,127.0.0.1');
  });

  it('refuses a kept signing secret that was emptied or cut short', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
    writeFileSync(join(dir, 'signing-secret'), '  short \n');
    expect(() => loadConfig({ SWITCHBOARD_DATA_DIR: dir })).toThrow(ConfigError);
    expect(() => loadConfig({ SWITCHBOARD_DATA_DIR: dir })).toThrow(/signing-secret: the kept signing secret is 5 characters; it must be at least 32/);
  });

  it('generates the signing secret once and keeps it in the data directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
    const first = loadConfig({ SWITCHBOARD_DATA_DIR: dir });
    const second = loadConfig({ SWITCHBOARD_DATA_DIR: dir });
    expect(first.signingSecret.length).toBeGreaterThanOrEqual(32);
    expect(second.signingSecret).toBe(first.signingSecret);
    expect(readFileSync(join(dir, 'signing-secret'), 'utf8')).toBe(first.signingSecret);
    expect(statSync(join(dir, 'signing-secret')).mode & 0o777).toBe(0o600);
    expect(loadConfig({ SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_SIGNING_SECRET: 'x'.repeat(40) }).signingSecret).toBe('x'.repeat(40));
  });
});
