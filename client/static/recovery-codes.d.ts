// Types for recovery-codes.js, which the browser loads as is (no build step).

/** The codes as a text file: what they are, whose, then one code a line. */
export function codesText(input: { title: string; account?: string; codes: string[] }): string;
