/** Which environment variables a service reads at start-up, taken from its sources rather than a list. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './manifests';

export interface EnvRead {
  name: string;
  /** Read without a default by a reader that throws when it is unset (`string`, not `optionalString`). */
  isRequired: boolean;
  /** `file:line` of the read. */
  where: string;
}

/** The reader's methods, from `interface EnvReader` in common: a method added there is picked up here. */
function readerMethods(): string[] {
  const source = readFileSync(path.join(repoRoot, 'common/src/support/env.ts'), 'utf8');
  const body = /export interface EnvReader \{([\s\S]*?)\n\}/.exec(source)?.[1];
  if (!body) throw new Error('common/src/support/env.ts: interface EnvReader not found');
  return [...body.matchAll(/^\s*(\w+)\s*[<(]/gm)].map((m) => m[1]);
}

/**
 * Every `<reader>.<method>('NAME', …)` call in `file`. A read is required unless its method is an
 * `optional…` one or its arguments give a `default`. Reads inside a branch (the migration mirror's) count
 * as unconditional: a false alarm there is visible, a missed variable would not be.
 */
export function envReadsIn(file: string): EnvRead[] {
  const source = readFileSync(path.join(repoRoot, file), 'utf8');
  const call = new RegExp(`\\b\\w+\\.(${readerMethods().join('|')})\\(\\s*'([A-Z][A-Z0-9_]*)'`, 'g');
  return [...source.matchAll(call)].map((match) => {
    const args = argumentsAt(source, match.index + match[0].indexOf('('));
    return {
      name: match[2],
      isRequired: !match[1].startsWith('optional') && !/\bdefault\s*:/.test(args),
      where: `${file}:${source.slice(0, match.index).split('\n').length}`,
    };
  });
}

/** The text between the parenthesis at `open` and its partner. */
function argumentsAt(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if ('([{'.includes(source[i])) depth++;
    else if (')]}'.includes(source[i]) && --depth === 0) return source.slice(open + 1, i);
  }
  throw new Error(`unbalanced call at offset ${open}`);
}

/** What `<service>/src/config.ts` reads, plus the event bus's settings when it calls `eventBusConfigFromEnv`. */
export function startupEnvOf(service: string): EnvRead[] {
  const config = `${service}/src/config.ts`;
  const usesEventBus = readFileSync(path.join(repoRoot, config), 'utf8').includes('eventBusConfigFromEnv(');
  return [...envReadsIn(config), ...(usesEventBus ? envReadsIn('common/src/events/event-bus.ts') : [])];
}
