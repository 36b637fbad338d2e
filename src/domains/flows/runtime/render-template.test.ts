import { describe, expect, it } from 'vitest';
import { renderTemplate, renderUrlTemplate } from './render-template.js';

describe('renderTemplate', () => {
  it('fills placeholders, with or without spaces inside the braces', () => {
    expect(renderTemplate('Hi {{name}}, order {{ order_id }}.', { name: 'Ana', order_id: '7' })).toBe('Hi Ana, order 7.');
  });

  it('renders a variable without a value as empty, and leaves JSON braces alone', () => {
    expect(renderTemplate('[{{missing}}]', {})).toBe('[]');
    expect(renderTemplate('{"a":{"b":1}}', {})).toBe('{"a":{"b":1}}');
    expect(renderTemplate('{{toString}}', {})).toBe('');
  });

  it('escapes values, never the template text', () => {
    expect(renderTemplate("'{{v}}'", { v: "it's" }, (value) => value.replace(/'/g, "\\'"))).toBe("'it\\'s'");
  });

  it('does not expand placeholders that appear inside a value', () => {
    expect(renderTemplate('{{a}}', { a: '{{b}}', b: 'no' })).toBe('{{b}}');
  });
});

describe('renderUrlTemplate', () => {
  it('percent-encodes values in the path, query and fragment, so a value stays data', () => {
    const url = renderUrlTemplate('https://crm.example.com/customers/{{id}}/lookup?src={{src}}', { id: '../../admin?x=1#', src: 'a&b=c' });
    expect(url).toBe('https://crm.example.com/customers/..%2F..%2Fadmin%3Fx%3D1%23/lookup?src=a%26b%3Dc');
    expect(new URL(url).pathname).toBe('/customers/..%2F..%2Fadmin%3Fx%3D1%23/lookup');
  });

  it('places a host or a whole base URL before the path as it is', () => {
    expect(renderUrlTemplate('https://{{host}}/v1/{{id}}', { host: 'api.example.com:8443', id: 'a b' })).toBe('https://api.example.com:8443/v1/a%20b');
    expect(renderUrlTemplate('https://api.example.com/customers/{{number}}', { number: '+14155550100' })).toBe('https://api.example.com/customers/+14155550100');
    expect(renderUrlTemplate('{{base}}/orders/{{id}}', { base: 'https://api.example.com/shop', id: '7/8' })).toBe('https://api.example.com/shop/orders/7%2F8');
  });
});
