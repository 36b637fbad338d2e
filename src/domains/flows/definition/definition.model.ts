import type { z } from 'zod';
import type { COMPONENT_SPECS, ComponentType } from './components/index.js';
import type { triggerSchema, variablesSchema } from './definition.schema.js';

/** Always defined, whatever the definition declares (API.md, flow definition format). */
export const BUILTIN_VARIABLES = ['interaction_id', 'flow_id', 'flow_version_id', 'contact_number', 'touchpoint_number'] as const;

export type ComponentConfig<T extends ComponentType> = z.output<(typeof COMPONENT_SPECS)[T]['config']>;

export type FlowComponent = {
  [T in ComponentType]: { id: string; type: T; config: ComponentConfig<T>; exits: Record<string, string> };
}[ComponentType];

export type FlowTrigger = z.output<typeof triggerSchema>;
export type FlowArgument = FlowTrigger['arguments'][number];
export type FlowVariables = z.output<typeof variablesSchema>;

/** A definition that passed validation, with every default filled in. */
export interface FlowDefinition {
  trigger: FlowTrigger;
  variables: FlowVariables;
  start: string;
  components: FlowComponent[];
}
