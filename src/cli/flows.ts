import { readFile } from 'node:fs/promises';
import { EspeakTts } from '../adapters/tts/espeak/espeak-tts.js';
import { validateDefinition } from '../domains/flows/index.js';
import { isCountryCode } from '../kernel/phone.js';
import { scenarioSchema, simulateFlow, type SimulationResult } from '../simulation/index.js';
import { parseFlags, required, UsageError } from './args.js';
import type { Cli, CommandGroup } from './context.js';

const COMMAND = 'flows simulate';

const help = `Usage: switchboard flows simulate <definition.json> --scenario <scenario.json> [--country <CC>] [--json]

Runs a flow definition against a scenario on a virtual clock and a private simulated
network: no server, no database, nothing real dialled or requested. A 35-second ring
timeout takes no real time. Prints every step (component, exit, detail).

  <definition.json>   the flow definition; or a flow as GET /flows/{id} returns it (its
                      draft is run), or an entry of GET /flows/{id}/versions: their flow
                      id then seeds a sticky traffic splitter as on the server
  --scenario <file>   arguments, scripted phones, HTTP answers, start time and the
                      expected result (see README, "Simulating a flow")
  --country <CC>      the account's default_country, for numbers written without "+"
                      (default US, a new account's)
  --json              print the full result as JSON instead of the trace

With no database, every skill, make_outbound_call "from" number and Salesforce secret
is taken to exist; POST /flows/{id}/simulate checks them against the account.

Exit status: 0 when the run matches the scenario's "expect" (or it has none), 1 when it
differs or the definition is invalid, 2 for usage errors or an unreadable scenario.`;

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${path}: ${(error as Error).message}`, COMMAND);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`the ${what} ${path} is not JSON: ${(error as Error).message}`, COMMAND);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The definition in what the file holds: a bare definition, a version (`definition` beside its
 * `flow_id`) or a flow (its draft's `definition` beside its `id`), and the flow id that names.
 */
function definitionOf(input: unknown): { definition: unknown; ids?: { flowId: string; flowVersionId: string } } {
  if (!isObject(input) || 'components' in input) return { definition: input };
  const flowId = typeof input.flow_id === 'string' ? input.flow_id : typeof input.id === 'string' ? input.id : undefined;
  const flowVersionId = typeof input.flow_version_id === 'string' ? input.flow_version_id : 'draft';
  const holder = 'definition' in input ? input : isObject(input.draft) ? input.draft : input;
  return { definition: 'definition' in holder ? holder.definition : input, ...(flowId === undefined ? {} : { ids: { flowId, flowVersionId } }) };
}

function printTrace(result: SimulationResult, cli: Cli): void {
  for (const [index, step] of result.steps.entries()) {
    const detail = Object.entries(step.detail).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    cli.out(`${String(index + 1).padStart(3)}. ${step.started_at}  ${step.component} (${step.type}) -> ${step.exit ?? '-'}${detail.length > 0 ? `  ${detail.join(' ')}` : ''}`);
  }
  cli.out(`${result.status}${result.reason ? ` (${result.reason})` : ''} after ${result.steps.length} steps and ${result.virtual_duration_s} s of virtual time`);
}

export const flowsCommands: CommandGroup = {
  summary: 'Work with flow definitions offline',
  commands: {
    simulate: {
      summary: 'Run a flow definition against a scenario on a virtual clock (no server needed)',
      help,
      async run(argv, cli) {
        const [file, ...rest] = argv;
        if (file === undefined || file.startsWith('-')) throw new UsageError('the definition file is required', COMMAND);
        const flags = parseFlags(rest, { scenario: { type: 'string' }, country: { type: 'string' }, json: { type: 'boolean' } }, COMMAND);
        const country = flags.country?.trim().toUpperCase();
        if (country !== undefined && !isCountryCode(country)) throw new UsageError(`--country must be an ISO 3166-1 alpha-2 country code, not "${flags.country ?? ''}"`, COMMAND);
        const scenarioFile = required(flags.scenario, 'scenario', COMMAND);
        const [definitionInput, scenarioInput] = await Promise.all([readJson(file, 'definition'), readJson(scenarioFile, 'scenario')]);
        const scenario = scenarioSchema.safeParse(scenarioInput);
        if (!scenario.success) {
          throw new UsageError(`the scenario is invalid: ${scenario.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`, COMMAND);
        }
        const given = definitionOf(definitionInput);
        const { definition, problems } = validateDefinition(given.definition);
        if (!definition) {
          cli.err(`the definition has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
          for (const problem of problems) cli.err(`  ${problem.code} at ${problem.path}: ${problem.message}`);
          throw new SimulationFailed();
        }
        const result = await simulateFlow(definition, scenario.data, { tts: new EspeakTts(), ...(country === undefined ? {} : { country }) }, given.ids);
        if (flags.json) cli.out(JSON.stringify(result, null, 2));
        else printTrace(result, cli);
        if (result.expectations && !result.expectations.met) {
          cli.err('the run differs from the scenario\'s "expect":');
          for (const mismatch of result.expectations.mismatches) cli.err(`  ${mismatch}`);
          throw new SimulationFailed();
        }
      },
    },
  },
};

/** The flow did not do what its scenario expects (or cannot run): exit 1, the details already printed. */
export class SimulationFailed extends Error {
  constructor() {
    super('the simulation did not match');
    this.name = 'SimulationFailed';
  }
}
