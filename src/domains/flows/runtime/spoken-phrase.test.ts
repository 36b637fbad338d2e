import { describe, expect, it } from 'vitest';
import { saysPhrase } from './spoken-phrase.js';

describe('saysPhrase', () => {
  it('hears a phrase at the start of the words said, whatever their case and endings', () => {
    expect(saysPhrase('billing please', 'bill')).toBe(true);
    expect(saysPhrase('I have two BILLS', 'bill')).toBe(true);
    expect(saysPhrase('a question about my invoice.', 'Invoice')).toBe(true);
    expect(saysPhrase("I'd like to talk to an agent, please", 'talk to an agent')).toBe(true);
    expect(saysPhrase("no, don't cancel it", "don't")).toBe(true);
    expect(saysPhrase('Olá, a minha fatura', 'fatura')).toBe(true);
  });

  it('does not hear a phrase inside a word', () => {
    expect(saysPhrase('I know my account number', 'no')).toBe(false);
    expect(saysPhrase('please rebill it', 'bill')).toBe(false);
    expect(saysPhrase('the order was uncancelled', 'cancel')).toBe(false);
    expect(saysPhrase('a spicy price', 'rice')).toBe(false);
  });

  it('needs a phrase\'s words in a row', () => {
    expect(saysPhrase('agent, I want to talk', 'talk to an agent')).toBe(false);
    expect(saysPhrase('talk to the agent', 'talk to agent')).toBe(false);
    expect(saysPhrase('anything', '  ')).toBe(false);
  });
});
