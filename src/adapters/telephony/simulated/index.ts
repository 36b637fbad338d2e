export { SimulatedNetwork, type PlacedCall } from './network.js';
export { phoneScriptSchema, type PhoneScript } from './phone-script.js';
