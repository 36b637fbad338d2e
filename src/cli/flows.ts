import { readFile } from 'node:fs/promises';
import { EspeakTts } from '../adapters/tts/espeak/espeak-tts.js';
import { validateDefinition } from '../domains/flows/index.js';
import { scenarioSchema, simulateFlow, type SimulationResult } from '../simulation/index.js';
import { parseFlags, required, UsageError } from './args.js';
import type { Cli, CommandGroup } from './context.js';

const COMMAND = 'flows simulate';

const help = `Usage: switchboard flows simulate <definition.json> --scenario <scenario.json> [--json]

Runs a flow definition against a scenario on a virtual clock and a private simulated
network: no server, no database, nothing real dialled or requested. A 35-second ring
timeout takes no real time. Prints every step (component, exit, detail).

  <definition.json>   the flow definition (or a flow with a "definition" field)
  --scenario <file>   arguments, scripted phones, HTTP answers, start time and the
                      expected result (see README, "Simulating a flow")
  --json              print the full result as JSON instead of the trace

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

/** A flow as the API returns it carries its definition under `definition`; a bare definition is taken as is. */
const definitionOf = (input: unknown): unknown =>
  typeof input === 'object' && input !== null && 'definition' in input && !('components' in input) ? (input as { definition: unknown }).definition : input;

function printTrace(result: SimulationResult, cli: Cli): void {
  for (const [index, step] of result.steps.entries()) {
    const detail = Object.entries(step.detail).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    cli.out(`${String(index + 1).padStart(3)}. ${step.started_at}  ${step.component} (${step.type}) -> ${step.exit ?? 'end'}${detail.length > 0 ? `  ${detail.join(' ')}` : ''}`);
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
        const flags = parseFlags(rest, { scenario: { type: 'string' }, json: { type: 'boolean' } }, COMMAND);
        const scenarioFile = required(flags.scenario, 'scenario', COMMAND);
        const [definitionInput, scenarioInput] = await Promise.all([readJson(file, 'definition'), readJson(scenarioFile, 'scenario')]);
        const scenario = scenarioSchema.safeParse(scenarioInput);
        if (!scenario.success) {
          throw new UsageError(`the scenario is invalid: ${scenario.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`, COMMAND);
        }
        const { definition, problems } = validateDefinition(definitionOf(definitionInput));
        if (!definition) {
          cli.err(`the definition has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
          for (const problem of problems) cli.err(`  ${problem.code} at ${problem.path}: ${problem.message}`);
          throw new SimulationFailed();
        }
        const result = await simulateFlow(definition, scenario.data, { tts: new EspeakTts() });
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
