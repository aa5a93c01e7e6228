/** Stack messages go to stderr, one line each, prefixed so they stand out from test output. */
export type StackLog = (line: string) => void;

export const stderrLog: StackLog = (line) => process.stderr.write(`[stack] ${line}\n`);
export const silentLog: StackLog = () => {};
