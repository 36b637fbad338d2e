import { describe, expect, it } from 'vitest';
import { ScriptedHttpClient } from './scripted-client.js';

const request = { method: 'POST' as const, url: 'https://crm.example.com/old', headers: { authorization: 'Bearer secret', 'content-type': 'application/json' }, body: '{}', timeoutMs: 1000 };

describe('ScriptedHttpClient', () => {
  it('follows a scripted redirect as the real client does: 303 becomes a GET, credentials stay with their origin', async () => {
    const http = new ScriptedHttpClient([
      { method: 'POST', url: 'https://crm.example.com/old', status: 303, headers: { Location: 'https://other.example.com/new' } },
      { method: 'GET', url: 'https://other.example.com/new', status: 200, body: { ok: true }, headers: {} },
    ]);
    const response = await http.request(request);
    expect(response).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(http.sent.map((r) => `${r.method} ${r.url}`)).toEqual(['POST https://crm.example.com/old', 'GET https://other.example.com/new']);
    expect(http.sent[1]?.headers).toEqual({});
    expect(http.sent[1]?.body).toBeUndefined();
  });

  it('answers the redirect itself when told not to follow, and stops after five hops', async () => {
    const loop = new ScriptedHttpClient([{ method: 'POST', url: 'https://crm.example.com/*', status: 307, headers: { location: '/old' } }]);
    expect((await loop.request({ ...request, followRedirects: false })).status).toBe(307);
    await expect(loop.request(request)).rejects.toThrow('too many redirects');
    expect(loop.sent).toHaveLength(1 + 6);
  });

  it('fails a request nothing answers as an unreachable server', async () => {
    await expect(new ScriptedHttpClient([]).request(request)).rejects.toMatchObject({ reason: 'network' });
  });
});
