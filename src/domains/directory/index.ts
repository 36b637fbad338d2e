import type { NumbersService } from './numbers.service.js';

export { NumbersService } from './numbers.service.js';
export type { PhoneNumber } from './numbers.model.js';
export * from './numbers.schema.js';

/** The directory's services, as the composition root wires them. */
export interface DirectoryServices {
  numbers: NumbersService;
}
