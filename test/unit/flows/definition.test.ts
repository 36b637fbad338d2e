import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  COMPONENT_TYPES,
  PROBLEM_CODES,
  validateDefinition,
  type DefinitionProblem,
  type FlowComponent,
  type ProblemCode,
} from '../../../src/domains/flows/definition/index.js';

const FIXTURES = new URL('../../fixtures/flows/', import.meta.url);

interface BadFixture {
  description: string;
  expect: ProblemCode[];
  account_numbers?: string[];
  /** The account's skill names, when the fixture checks them. */
  account_skills?: string[];
  /** The languages the text-to-speech engine speaks, when the fixture checks them. */
  languages?: string[];
  definition: any;
}

const load = <T>(dir: 'good' | 'bad'): [string, T][] =>
  readdirSync(new URL(`${dir}/`, FIXTURES))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => [name, JSON.parse(readFileSync(new URL(`${dir}/${name}`, FIXTURES), 'utf8')) as T]);

const good = load<any>('good');
const bad = load<BadFixture>('bad');

/** Codes about the definition as a whole rather than one component. */
const DEFINITION_WIDE: readonly ProblemCode[] = ['invalid_definition', 'missing_start', 'unknown_start', 'duplicate_argument'];

const codes = (problems: DefinitionProblem[]) => problems.map((p) => p.code).sort();

const call = (id: string, exits: Record<string, string>, config: object = {}) => ({
  id,
  type: 'make_outbound_call',
  config: { from: '+14155550100', to: '+14155550123', ...config },
  exits,
});
const hangUp = { answered: 'end', invalid_number: 'end', busy: 'end', no_answer: 'end' };
const end = { id: 'end', type: 'end_flow' };

function componentOf(definition: any, problem: DefinitionProblem): any {
  const index = /^\$\.components\[(\d+)\]/.exec(problem.path)?.[1];
  return index === undefined ? undefined : definition.components[Number(index)];
}

describe('good flow definitions', () => {
  it('has the fixtures the issue asks for', () => {
    expect(good.map(([name]) => name)).toEqual(expect.arrayContaining(['api-md-example.json', 'every-component-type.json', 'ivr-loop.json']));
    const every = good.find(([name]) => name === 'every-component-type.json')?.[1];
    expect(new Set(every.components.map((c: { type: string }) => c.type))).toEqual(new Set(COMPONENT_TYPES));
  });

  it.each(good)('%s validates with no problems', (_name, definition) => {
    const result = validateDefinition(definition);
    expect(result.problems).toEqual([]);
    expect(result.definition?.components.map((c) => c.id)).toEqual(definition.components.map((c: { id: string }) => c.id));
  });
});

describe('bad flow definitions', () => {
  it.each(bad)('%s reports exactly its expected codes', (_name, fixture) => {
    const { account_numbers: accountNumbers, account_skills: accountSkills, languages } = fixture;
    const context = {
      ...(accountNumbers === undefined ? {} : { accountNumbers }),
      ...(accountSkills === undefined ? {} : { accountSkills }),
      ...(languages === undefined ? {} : { speaks: (language: string) => languages.includes(language) }),
    };
    const result = validateDefinition(fixture.definition, context);
    expect(codes(result.problems)).toEqual([...fixture.expect].sort());
    expect(result.definition).toBeNull();
    for (const p of result.problems) {
      expect(p.path).toMatch(/^\$/);
      expect(p.message.length).toBeGreaterThan(0);
      // read_only_variable is the trigger's when an argument names a built-in, a component's otherwise.
      if (DEFINITION_WIDE.includes(p.code) || p.path.startsWith('$.trigger')) continue;
      // A component problem names the component and points inside it.
      expect(p.component).not.toBeNull();
      expect(componentOf(fixture.definition, p)?.id).toBe(p.component);
    }
  });

  it('covers every problem code with at least one fixture', () => {
    const covered = new Set(bad.flatMap(([, fixture]) => fixture.expect));
    expect(PROBLEM_CODES.filter((code) => !covered.has(code))).toEqual([]);
  });

  it('uses stable snake_case codes', () => {
    for (const code of PROBLEM_CODES) expect(code).toMatch(/^[a-z]+(?:_[a-z]+)*$/);
  });
});

describe('validateDefinition', () => {
  it('names the field in the JSON path of a config problem', () => {
    const { problems } = validateDefinition({ start: 'dial', components: [call('dial', hangUp, { ring_timeout_s: 36 }), end] });
    expect(problems).toEqual([
      {
        code: 'invalid_config',
        component: 'dial',
        path: '$.components[0].config.ring_timeout_s',
        message: 'components[0].config.ring_timeout_s must be a whole number from 10 to 35',
      },
    ]);
  });

  it('accepts the ring timeout bounds 10 and 35 and rejects 9.5', () => {
    for (const ring_timeout_s of [10, 35]) {
      expect(validateDefinition({ start: 'dial', components: [call('dial', hangUp, { ring_timeout_s }), end] }).problems).toEqual([]);
    }
    expect(codes(validateDefinition({ start: 'dial', components: [call('dial', hangUp, { ring_timeout_s: 9.5 }), end] }).problems)).toEqual([
      'invalid_config',
    ]);
  });

  it('rejects input that is not an object without throwing', () => {
    for (const input of [null, undefined, 42, 'flow', [], [{}]]) {
      expect(validateDefinition(input)).toEqual({
        definition: null,
        problems: [{ code: 'invalid_definition', component: null, path: '$', message: 'the definition must be a JSON object' }],
      });
    }
  });

  it('survives components of every wrong shape', () => {
    const { problems } = validateDefinition({
      start: 7,
      variables: [],
      trigger: 'api',
      components: [null, 1, [], { id: 5, type: 7, exits: [], config: 'x' }, { id: 'a b', type: 'play_audio', config: null }],
    });
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ['invalid_definition', '$.trigger'],
      ['invalid_definition', '$.variables'],
      ['invalid_definition', '$.components[0]'],
      ['invalid_definition', '$.components[1]'],
      ['invalid_definition', '$.components[2]'],
      ['invalid_definition', '$.components[3].id'],
      ['invalid_definition', '$.components[3].type'],
      ['invalid_definition', '$.components[3].exits'],
      ['invalid_definition', '$.components[4].id'],
      ['invalid_config', '$.components[4].config'],
      ['unwired_exit', '$.components[4].exits.next'],
      ['invalid_definition', '$.start'],
    ]);
  });

  it('checks make_outbound_call.from against the account numbers when they are given', () => {
    const definition = { start: 'dial', components: [call('dial', hangUp), end] };
    expect(validateDefinition(definition, { accountNumbers: ['+14155550100'] }).problems).toEqual([]);
    expect(validateDefinition(definition, { accountNumbers: new Set(['+14155550101']) }).problems).toEqual([
      {
        code: 'unknown_from_number',
        component: 'dial',
        path: '$.components[0].config.from',
        message: "components[0].config.from +14155550100 is not one of the account's numbers",
      },
    ]);
  });
});

describe('defaults', () => {
  const minimal = {
    start: 'dial',
    components: [
      call('dial', { answered: 'menu', invalid_number: 'end', busy: 'end', no_answer: 'end' }),
      {
        id: 'menu',
        type: 'input_ivr',
        config: { prompt: { tts: { text: 'Enter your code' } }, variable: 'code' },
        exits: { next: 'fetch', timeout: 'end', invalid: 'end' },
      },
      { id: 'fetch', type: 'execute_action', config: { url: 'https://example.com/x' }, exits: { success: 'forward', failure: 'later' } },
      { id: 'forward', type: 'forward_to_external_number', config: { number: '+14155550199' }, exits: { no_answer: 'later', invalid_number: 'end' } },
      { id: 'later', type: 'request_direct_callback', config: { skill: 'support' }, exits: { next: 'hours', error: 'end' } },
      { id: 'hours', type: 'time_rules', config: { timezone: 'UTC', schedule: { mon: [['09:00', '17:00']] } }, exits: { open: 'end', closed: 'end' } },
      end,
    ],
  };

  const configOf = (components: FlowComponent[], id: string) => components.find((c) => c.id === id)?.config;

  it('fills in every documented and designed default', () => {
    const { definition, problems } = validateDefinition(minimal);
    expect(problems).toEqual([]);
    expect(definition?.trigger).toEqual({ type: 'api', arguments: [] });
    expect(definition?.variables).toEqual({});
    const components = definition?.components ?? [];
    expect(configOf(components, 'dial')).toEqual({ from: '+14155550100', to: '+14155550123', ring_timeout_s: 15 });
    expect(configOf(components, 'menu')).toEqual({
      prompt: { tts: { text: 'Enter your code', language: 'en-US' } },
      min_digits: 1,
      max_digits: 20,
      terminator: '#',
      timeout_s: 5,
      max_attempts: 3,
      variable: 'code',
    });
    expect(configOf(components, 'fetch')).toEqual({
      method: 'GET',
      url: 'https://example.com/x',
      headers: {},
      timeout_ms: 5000,
      retry: { max_retries: 2, backoff_ms: 500 },
      output: {},
    });
    expect(configOf(components, 'forward')).toEqual({ number: '+14155550199', caller_id: 'touchpoint', ring_timeout_s: 15 });
    expect(configOf(components, 'later')).toEqual({ skill: 'support', number: '{{contact_number}}' });
    expect(configOf(components, 'hours')).toEqual({
      timezone: 'UTC',
      schedule: { mon: [['09:00', '17:00']], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
    });
    expect(components.find((c) => c.id === 'end')).toEqual({ id: 'end', type: 'end_flow', config: {}, exits: {} });
  });

  it('keeps the values that were given', () => {
    const { definition } = validateDefinition({
      trigger: { type: 'api', arguments: [{ name: 'contact_1' }, { name: 'contact_2', variable: 'agent', required: true }] },
      start: 'dial',
      components: [call('dial', hangUp, { ring_timeout_s: 35 }), end],
    });
    expect(definition?.trigger.arguments).toEqual([
      { name: 'contact_1', variable: 'contact_1', required: false },
      { name: 'contact_2', variable: 'agent', required: true },
    ]);
    expect(definition?.components[0]?.config).toMatchObject({ ring_timeout_s: 35 });
  });

  it('does not change the input', () => {
    const input = JSON.parse(JSON.stringify(minimal));
    validateDefinition(input);
    expect(input).toEqual(minimal);
  });
});

describe('cycles', () => {
  const ask = (id: string, variable: string, exits: Record<string, string>) => ({
    id,
    type: 'input_ivr',
    config: { prompt: { tts: { text: 'Enter digits' } }, variable },
    exits,
  });
  const say = (id: string, text: string, next: string) => ({ id, type: 'play_audio', config: { tts: { text } }, exits: { next } });

  it('accepts self-loops and loops back to the start', () => {
    const { problems } = validateDefinition({
      start: 'check',
      components: [
        {
          id: 'check',
          type: 'conditional_statement',
          config: { conditions: [{ exit: 'again', all: [{ variable: 'flow_id', op: 'exists' }] }] },
          exits: { again: 'check', default: 'split' },
        },
        { id: 'split', type: 'traffic_splitter', config: { branches: [{ exit: 'a', percent: 100 }] }, exits: { a: 'check' } },
      ],
    });
    expect(problems).toEqual([]);
  });

  it('knows a variable written inside a loop is set after the loop', () => {
    const { problems } = validateDefinition({
      start: 'dial',
      components: [
        call('dial', { ...hangUp, answered: 'pin' }),
        ask('pin', 'pin', { next: 'confirm', timeout: 'pin', invalid: 'pin' }),
        say('confirm', 'You entered {{pin}}', 'end'),
        end,
      ],
    });
    expect(problems).toEqual([]);
  });

  it('sees a variable read at a loop head before the first pass writes it', () => {
    const { problems } = validateDefinition({
      start: 'dial',
      components: [
        call('dial', { ...hangUp, answered: 'echo' }),
        say('echo', 'Last time you entered {{pin}}', 'pin'),
        ask('pin', 'pin', { next: 'echo', timeout: 'end', invalid: 'end' }),
        end,
      ],
    });
    expect(problems.map((p) => [p.code, p.component])).toEqual([['variable_possibly_unset', 'echo']]);
  });

  it('reports a cycle nothing reaches once per component', () => {
    const { problems } = validateDefinition({
      start: 'end',
      components: [end, say('ping', 'ping', 'pong'), say('pong', 'pong', 'ping')],
    });
    expect(problems.map((p) => [p.code, p.component])).toEqual([
      ['unreachable_component', 'ping'],
      ['unreachable_component', 'pong'],
    ]);
  });

  it('terminates quickly on a large, densely looped graph', () => {
    const size = 400;
    const id = (i: number) => `menu_${i % size}`;
    const components = Array.from({ length: size }, (_, i) =>
      ask(id(i), `digits_${i}`, { next: id(i + 1), timeout: id(i * 7 + 3), invalid: id(0) }),
    );
    const started = performance.now();
    const { problems } = validateDefinition({ start: 'dial', components: [call('dial', { ...hangUp, answered: id(0) }), ...components, end] });
    expect(problems).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
