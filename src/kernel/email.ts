import { z } from 'zod';

/**
 * An email address as HTML forms accept it (the WHATWG definition): `a@b.c` and `ops@localhost`
 * included, which zod's default pattern (a top-level domain of two letters or more) refuses.
 */
export const emailAddress = () => z.email({ pattern: z.regexes.html5Email });
