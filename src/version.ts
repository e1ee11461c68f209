/** Kept equal to package.json's version by a test; imported statically so the executable has it. */
export const VERSION = '0.1.0';
export const USER_AGENT = `CapPulse/${VERSION}`;
