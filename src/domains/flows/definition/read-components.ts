import { COMPONENT_SPECS, COMPONENT_TYPES, isComponentType } from './components/index.js';
import type { ComponentNode } from './component-node.js';
import { COMPONENT_FIELDS } from './definition.schema.js';
import { toFieldLabel, type Path } from './json-path.js';
import { COMPONENT_ID } from './names.js';
import { isPlainObject } from './plain-object.js';
import { problem, type DefinitionProblem, type ProblemCode } from './problems.js';
import { parseInto } from './zod-issues.js';

type Report = (code: ProblemCode, path: Path, message: string) => void;

const describeType = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`);

function readId(raw: unknown, path: Path, report: Report): string | null {
  if (raw === undefined) report('invalid_definition', path, `${toFieldLabel(path)} is required`);
  else if (typeof raw !== 'string') report('invalid_definition', path, `${toFieldLabel(path)} must be a string, not ${describeType(raw)}`);
  else if (!COMPONENT_ID.test(raw)) report('invalid_definition', path, `${toFieldLabel(path)} must be 1 to 64 letters, digits, "_" or "-"`);
  else return raw;
  return null;
}

function readType(raw: unknown, path: Path, report: Report) {
  if (raw === undefined) report('invalid_definition', path, `${toFieldLabel(path)} is required`);
  else if (typeof raw !== 'string') report('invalid_definition', path, `${toFieldLabel(path)} must be a string, not ${describeType(raw)}`);
  else if (!isComponentType(raw)) {
    report('unknown_component_type', path, `"${raw}" is not a component type; the types are ${COMPONENT_TYPES.join(', ')}`);
  } else return raw;
  return null;
}

function readExits(raw: unknown, path: Path, report: Report): Pick<ComponentNode, 'exits' | 'malformedExits'> {
  const read = { exits: new Map<string, string>(), malformedExits: new Set<string>() };
  if (raw === undefined) return read;
  if (!isPlainObject(raw)) {
    report('invalid_definition', path, `${toFieldLabel(path)} must be an object mapping exit names to component ids`);
    return read;
  }
  for (const [name, target] of Object.entries(raw)) {
    if (typeof target === 'string' && target !== '') {
      read.exits.set(name, target);
      continue;
    }
    read.malformedExits.add(name);
    report('invalid_definition', [...path, name], `${toFieldLabel([...path, name])} must be the id of a component`);
  }
  return read;
}

function readComponent(raw: unknown, index: number, problems: DefinitionProblem[]): ComponentNode | null {
  const path: Path = ['components', index];
  if (!isPlainObject(raw)) {
    problems.push(problem('invalid_definition', null, path, `${toFieldLabel(path)} must be an object`));
    return null;
  }
  const label = typeof raw.id === 'string' ? raw.id : null;
  const report: Report = (code, at, message) => problems.push(problem(code, label, at, message));
  for (const key of Object.keys(raw)) {
    if (!(COMPONENT_FIELDS as readonly string[]).includes(key)) report('invalid_definition', [...path, key], `${toFieldLabel([...path, key])} is not a known field`);
  }
  const id = readId(raw.id, [...path, 'id'], report);
  const type = readType(raw.type, [...path, 'type'], report);
  const { exits, malformedExits } = readExits(raw.exits, [...path, 'exits'], report);
  const spec = type === null ? null : COMPONENT_SPECS[type];
  const config =
    spec === null
      ? null
      : parseInto(spec.config, raw.config === undefined ? {} : raw.config, { base: [...path, 'config'], component: label, fallback: 'invalid_config' }, problems);
  return { index, path, id, label, type, spec, config, rawConfig: raw.config, configValid: config !== null, exits, malformedExits, duplicate: false };
}

/** Reads `components` entry by entry, so one broken entry never hides the others' problems. */
export function readComponents(raw: unknown, problems: DefinitionProblem[]): ComponentNode[] {
  if (raw === undefined) {
    problems.push(problem('invalid_definition', null, ['components'], 'components is required'));
    return [];
  }
  if (!Array.isArray(raw)) {
    problems.push(problem('invalid_definition', null, ['components'], 'components must be an array'));
    return [];
  }
  return raw.flatMap((entry: unknown, index) => readComponent(entry, index, problems) ?? []);
}
