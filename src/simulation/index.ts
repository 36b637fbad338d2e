export { FlowSimulator } from './flow-simulator.js';
export { simulateFlow, type SimulationParts, type SimulationResult } from './simulate-flow.js';
export { scenarioSchema, simulationResultSchema, type Scenario } from './scenario.js';
