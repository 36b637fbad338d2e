export { validateDefinition, type ValidationContext, type ValidationResult } from './validate.js';
export { PROBLEM_CODES, type ProblemCode, type DefinitionProblem } from './problems.js';
export { COMPONENT_TYPES, COMPONENT_SPECS, CONDITION_OPERATORS, isComponentType, type ComponentType } from './components/index.js';
export type { ComponentKind, ComponentSpec, ExitRules } from './component-spec.js';
export {
  BUILTIN_VARIABLES,
  type ComponentConfig,
  type FlowArgument,
  type FlowComponent,
  type FlowDefinition,
  type FlowTrigger,
  type FlowVariables,
} from './definition.model.js';
export { isBuiltIn } from './declarations.js';
export { scanTemplate, type TemplateScan } from './templates.js';
export { fromJsonPath, toFieldLabel, type Path, type PathSegment } from './json-path.js';
export { COMPONENT_ID, isVariableName } from './names.js';
