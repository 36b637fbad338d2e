import { describe, expect, it } from 'vitest';
import { renderTemplate } from './render-template.js';

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
