import { ensureDebianPackage } from './debian-package';

/** The system Chromium for the browser tests (playwright cannot download its own here); `CHROMIUM_PATH` overrides. */
export function ensureChromium(log?: (line: string) => void): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return ensureDebianPackage('chromium', ['/usr/bin/chromium', '/usr/bin/chromium-browser'], log);
}
