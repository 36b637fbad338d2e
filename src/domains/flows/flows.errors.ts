import { DomainError, type FieldProblem } from '../../kernel/errors.js';
import { COMPONENT_ID, fromJsonPath, toFieldLabel, type DefinitionProblem, type PathSegment } from './definition/index.js';
import type { DraftDefinition } from './flows.model.js';

/** Component ids that name exactly one component of the draft, by index. */
function uniqueIds(draft: DraftDefinition): Map<number, string> {
  const components = Array.isArray(draft.components) ? (draft.components as unknown[]) : [];
  const ids = components.map((entry) => (typeof entry === 'object' && entry !== null && 'id' in entry ? entry.id : undefined));
  const byIndex = new Map<number, string>();
  ids.forEach((id, index) => {
    if (typeof id === 'string' && COMPONENT_ID.test(id) && ids.indexOf(id) === ids.lastIndexOf(id)) byIndex.set(index, id);
  });
  return byIndex;
}

/**
 * A definition problem as a request field, in the API's field-name style: dotted, with a
 * component named by its id when that is unambiguous (`components.dial.config.ring_timeout_s`).
 * The description is the message without the leading field label it repeats.
 */
function fieldOf(problem: DefinitionProblem, ids: Map<number, string>): FieldProblem {
  const path: PathSegment[] = fromJsonPath(problem.path) ?? [];
  const label = toFieldLabel(path);
  const description = label !== '' && problem.message.startsWith(`${label} `) ? problem.message.slice(label.length + 1) : problem.message;
  const [head, index, ...rest] = path;
  const id = head === 'components' && typeof index === 'number' ? ids.get(index) : undefined;
  const segments = id === undefined ? path : ['components', id, ...rest];
  return { name: segments.length === 0 ? 'definition' : segments.map(String).join('.'), description };
}

/** Publishing a draft with problems: 422 with every problem, as fields and in the validate response's shape. */
export function invalidDraft(problems: readonly DefinitionProblem[], draft: DraftDefinition): DomainError {
  const ids = uniqueIds(draft);
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const detail = `the draft cannot be published: it has ${count}: ${problems.map((p) => p.message).join('; ')}`;
  return new DomainError('invalid_flow_definition', detail, problems.map((p) => fieldOf(p, ids)), undefined, { errors: problems });
}

export const draftChanged = (): DomainError =>
  new DomainError('conflict', 'the draft changed while it was being published; nothing was published, publish again');

export const notPublished = (): DomainError =>
  new DomainError('flow_not_published', 'the flow has no published version yet: publish its draft first');
