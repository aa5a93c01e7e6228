import type { Stack } from '../stack/stack';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __STACK__?: Stack }).__STACK__;
  await stack?.stop();
}
