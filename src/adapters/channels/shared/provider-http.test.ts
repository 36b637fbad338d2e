import { describe, expect, it } from 'vitest';
import { providerUrl } from './provider-http.js';

describe('providerUrl', () => {
  it("joins the base URL, keeping its path, and the endpoint's path", () => {
    expect(providerUrl('http://127.0.0.1:8080', 'https://vendor.example', 'v23.0/1/messages')).toBe('http://127.0.0.1:8080/v23.0/1/messages');
    expect(providerUrl('https://proxy.example/graph/', 'https://vendor.example', '/v23.0/me/messages')).toBe('https://proxy.example/graph/v23.0/me/messages');
  });

  it("uses the vendor's URL when the base URL is empty, and refuses anything but http(s)", () => {
    expect(providerUrl('', 'https://graph.facebook.com', 'v23.0/me/messages')).toBe('https://graph.facebook.com/v23.0/me/messages');
    expect(providerUrl('smtp://mail.example', 'https://vendor.example', 'x')).toBeUndefined();
    expect(providerUrl('not a url', 'https://vendor.example', 'x')).toBeUndefined();
  });
});
