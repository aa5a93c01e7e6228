import { ensureDebianProgram } from '@ticketing/stack/debian-packages';

/** The system Chromium for the browser tests (playwright cannot download its own here); `CHROMIUM_PATH` overrides. */
export async function ensureChromium(log?: (line: string) => void): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return ensureDebianProgram('chromium', ['/usr/bin/chromium', '/usr/bin/chromium-browser'], log);
}
