export { SimulatedNetwork, type PlacedCall } from './network.js';
export { DEFAULT_SCRIPT, phoneScriptSchema, type PhoneScript } from './phone-script.js';
export { ScriptedCallControl, type PhoneScripts } from './scripted-calls.js';
