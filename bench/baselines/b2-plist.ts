// B2: the plist package, called directly, as the reference parser for G7. Pomona's hot path parses device
// bodies with server/mdm/messages.ts (structural prechecks, then this same package, then normalisation
// and zod); G7 compares the two on the same fixtures.
// eslint-disable-next-line import-x/no-restricted-paths -- the baseline is the plist package itself.
import { parse } from "plist";

export const referenceParse = (text: string): unknown => parse(text);
