import type { z } from 'zod';
import { DomainError, invalid, notFound, type ErrorCode, type FieldProblem } from '../../../../kernel/errors.js';
import { createCaseBody, createNoteBody, updateCaseBody } from '../../../cases/index.js';
import { fail, next, type StepDetail, type StepOutcome } from '../outcome.js';
import type { CaseChange, ComponentHandler, StepContext } from '../step-context.js';

/** Who a case's audit trail (and a note's author) names for what a flow did. */
export const flowActor = (flowId: string): string => `flow:${flowId}`;

/** The codes with which the cases domain refuses a write; anything else is the platform failing (the step is retried). */
const REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['validation_failed', 'not_found', 'case_closed', 'closing_is_automatic', 'conflict']);

const isRefusal = (error: unknown): error is DomainError => error instanceof DomainError && REFUSALS.has(error.code);



/** An optional template, rendered; one that renders empty counts as not given. */
function rendered(context: StepContext, template: string | undefined): string | undefined {
  if (template === undefined) return undefined;
  const value = context.render(template).trim();
  return value === '' ? undefined : value;
}

const withoutUnset = <T extends Record<string, unknown>>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;

/** Rendered values checked as the cases API checks a request body, named as its `fields` name them (or all as `field`). */
const problemsOf = (error: z.ZodError, field?: string): DomainError =>
  invalid(error.issues.map((issue): FieldProblem => ({ name: field ?? issue.path.join('.'), description: issue.message })));

/**
 * The cases domain refused: the step leaves by the first of `exits` that is wired, or, with none
 * wired, the interaction fails saying why.
 */
function refused(context: StepContext, exits: readonly string[], error: DomainError, detail: StepDetail, what: string): StepOutcome {
  const refusal = { ...detail, code: error.code, error: error.message, ...(error.fields ? { fields: error.fields } : {}) };
  const exit = exits.find((name) => context.wired.has(name));
  return exit === undefined ? fail(`${what}: ${error.message}`, refusal) : next(exit, refusal);
}

/** Opens a case linked to the interaction, and to the call it holds; its channel is `phone` with a call, else `api`. */
export const createCase: ComponentHandler<'create_case'> = async (config, context) => {
  const text = (template: string | undefined) => rendered(context, template);
  const customFields = withoutUnset(Object.fromEntries(Object.entries(config.custom_fields).map(([key, template]) => [key, text(template)])));
  const body = withoutUnset({
    title: context.render(config.title),
    description: text(config.description),
    type: config.type,
    priority: config.priority,
    status: text(config.status),
    requester_name: text(config.requester_name),
    requester_email: text(config.requester_email),
    requester_phone: text(config.requester_phone),
    assignee_id: text(config.assignee_id),
    group_id: text(config.group_id),
    due_date: text(config.due_date),
    custom_fields: Object.keys(customFields).length > 0 ? customFields : undefined,
    channel: context.call ? 'phone' : 'api',
    related: { interactions: [context.interactionId], calls: context.call ? [context.call.call_id] : [] },
  });
  const detail = { title: body.title?.trim(), type: config.type };
  const parsed = createCaseBody.safeParse(body);
  if (!parsed.success) return refused(context, ['failed'], problemsOf(parsed.error), detail, 'the case was refused');
  try {
    const created = await context.services.cases.create(context.accountId, flowActor(context.flowId), parsed.data, context.stepKey);
    const variables = config.case_id_variable === undefined ? undefined : { [config.case_id_variable]: created.id };
    return next('created', { case_id: created.id, ...detail }, variables === undefined ? {} : { variables });
  } catch (error) {
    if (isRefusal(error)) return refused(context, ['failed'], error, detail, 'the case was refused');
    throw error;
  }
};

/** Changes a case, then adds the note; `not_found` (or else `failed`) for a case the account does not have. */
export const updateCase: ComponentHandler<'update_case'> = async (config, context) => {
  const text = (template: string | undefined) => rendered(context, template);
  const caseId = context.render(config.case_id).trim();
  const fields = withoutUnset({
    status: text(config.status),
    priority: config.priority,
    assignee_id: text(config.assignee_id),
    group_id: text(config.group_id),
    resolution: text(config.resolution),
  });
  const noteBody = text(config.note);
  const detail = { case_id: caseId, changes: fields, ...(noteBody === undefined ? {} : { note: { visibility: config.note_visibility } }) };
  const what = `case ${caseId} was not updated`;
  if (caseId === '') return refused(context, ['not_found', 'failed'], notFound('case'), detail, what);

  const parsedFields = updateCaseBody.safeParse(fields);
  if (!parsedFields.success) return refused(context, ['failed'], problemsOf(parsedFields.error), detail, what);
  let note: CaseChange['note'];
  if (noteBody !== undefined) {
    const parsedNote = createNoteBody.safeParse({ body: noteBody, visibility: config.note_visibility });
    if (!parsedNote.success) return refused(context, ['failed'], problemsOf(parsedNote.error, 'note'), detail, what);
    note = parsedNote.data;
  }
  const change: CaseChange = { ...parsedFields.data, ...(note === undefined ? {} : { note }) };
  try {
    await context.services.cases.update(context.accountId, flowActor(context.flowId), caseId, change, context.stepKey);
    return next('updated', detail);
  } catch (error) {
    if (!isRefusal(error)) throw error;
    return refused(context, error.code === 'not_found' ? ['not_found', 'failed'] : ['failed'], error, detail, what);
  }
};
