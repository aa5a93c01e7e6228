/**
 * Reads and writes the part of nats-server's configuration syntax that infra/k8s uses: maps (`key { … }`,
 * `key: { … }`), arrays, double- and single-quoted strings, bare strings, integers, booleans, comments (`#`,
 * `//`) and variable references (`password: $TICKETS_PASSWORD`, which nats-server resolves from a variable of
 * the config or else from the environment). Anything else it meets (include, block strings, sizes such as
 * `1MB`, dates) it refuses with a message, rather than reading it differently from the server.
 */

/** A `$NAME` reference: nats-server takes the value from the environment variable NAME. */
export class VariableReference {
  constructor(readonly name: string) {}
}

export type ConfValue = string | number | boolean | VariableReference | ConfValue[] | ConfMap;
export interface ConfMap {
  [key: string]: ConfValue;
}

export function parseNatsConf(text: string): ConfMap {
  const parser = new Parser(text);
  return parser.mapBody(undefined);
}

/** Characters that end a bare key or value (whitespace aside). */
const BARE_END = new Set([',', ';', '}', ']']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r';

class Parser {
  private at = 0;

  constructor(private readonly text: string) {}

  /** Entries up to `end` (`}`), or to the end of the text for the top level. */
  mapBody(end: '}' | undefined): ConfMap {
    const map: ConfMap = {};
    for (;;) {
      this.skip({ newlines: true, separators: true });
      const c = this.peek();
      if (c === undefined) {
        if (end) this.fail(`expected "${end}" before the end of the text`);
        return map;
      }
      if (c === end) {
        this.at++;
        return map;
      }
      const key = this.key();
      if (key === 'include') this.fail('include is not supported');
      if (Object.hasOwn(map, key)) this.fail(`key "${key}" appears twice in one map`);
      this.skip({ newlines: false });
      if (this.peek() === ':' || this.peek() === '=') {
        this.at++;
        this.skip({ newlines: false });
      }
      map[key] = this.value();
      this.endOfValue(end ?? '');
    }
  }

  private key(): string {
    const c = this.peek();
    if (c === '"' || c === "'") return this.quoted();
    const start = this.at;
    while (this.at < this.text.length) {
      const k = this.text[this.at];
      if (isSpace(k) || k === '\n' || k === ':' || k === '=' || k === '{' || k === '[' || BARE_END.has(k)) break;
      this.at++;
    }
    if (this.at === start) this.fail(`expected a key, found "${c}"`);
    return this.text.slice(start, this.at);
  }

  private value(): ConfValue {
    const c = this.peek();
    if (c === undefined || c === '\n') this.fail('expected a value');
    if (c === '{') {
      this.at++;
      return this.mapBody('}');
    }
    if (c === '[') {
      this.at++;
      return this.array();
    }
    if (c === '"' || c === "'") return this.quoted();
    if (c === '(') this.fail('block strings are not supported');
    const start = this.at;
    while (this.at < this.text.length && !isSpace(this.text[this.at]) && this.text[this.at] !== '\n' && !BARE_END.has(this.text[this.at])) {
      this.at++;
    }
    return this.bare(this.text.slice(start, this.at));
  }

  private array(): ConfValue[] {
    const values: ConfValue[] = [];
    for (;;) {
      this.skip({ newlines: true });
      if (this.peek() === ']') {
        this.at++;
        return values;
      }
      values.push(this.value());
      this.skip({ newlines: false });
      const c = this.peek();
      if (c === ',' || c === '\n') this.at++;
      else if (c !== ']') this.fail(`expected "," or "]" in an array, found ${c === undefined ? 'the end' : `"${c}"`}`);
    }
  }

  /** What a bare (unquoted) value means to nats-server. */
  private bare(token: string): ConfValue {
    // A bcrypt hash is a string, whatever its `$`.
    if (/^\$2[abxy]?\$/.test(token)) return token;
    if (token.startsWith('$')) {
      if (!/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(token)) this.fail(`"${token}" would be read as a variable reference; quote it`);
      return new VariableReference(token.slice(1));
    }
    if (/^(true|yes|on)$/i.test(token)) return true;
    if (/^(false|no|off)$/i.test(token)) return false;
    if (/^-?\d+$/.test(token)) return Number(token);
    if (/^-?\d/.test(token) && !/^\d+(\.\d+){3}(:\d+)?$/.test(token))
      this.fail(`"${token}": numbers with units, floats and dates are not supported`);
    return token;
  }

  private quoted(): string {
    const quote = this.text[this.at++];
    let value = '';
    for (;;) {
      const c = this.text[this.at++];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === quote) return value;
      if (c === '\\' && quote === '"') {
        const e = this.text[this.at++];
        const simple: Record<string, string> = { t: '\t', n: '\n', r: '\r', '"': '"', '\\': '\\' };
        if (e in simple) value += simple[e];
        else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(this.text.slice(this.at, this.at + 4))) {
          value += String.fromCharCode(Number.parseInt(this.text.slice(this.at, this.at + 4), 16));
          this.at += 4;
        } else this.fail(`unknown escape "\\${e}"`);
      } else value += c;
    }
  }

  /** After a map entry: the line ends, a separator follows, or the map closes. */
  private endOfValue(end: string): void {
    this.skip({ newlines: false });
    const c = this.peek();
    if (c === undefined || c === '\n' || c === ',' || c === ';') return;
    if (c === end) return;
    this.fail(`unexpected "${c}" after a value`);
  }

  private skip({ newlines, separators = false }: { newlines: boolean; separators?: boolean }): void {
    while (this.at < this.text.length) {
      const c = this.text[this.at];
      if (isSpace(c) || (newlines && c === '\n') || (separators && (c === ',' || c === ';'))) this.at++;
      else if (c === '#' || (c === '/' && this.text[this.at + 1] === '/')) {
        while (this.at < this.text.length && this.text[this.at] !== '\n') this.at++;
      } else return;
    }
  }

  private peek(): string | undefined {
    return this.text[this.at];
  }

  private fail(message: string): never {
    const line = this.text.slice(0, this.at).split('\n').length;
    throw new Error(`nats config, line ${line}: ${message}`);
  }
}

/**
 * The nats-server config text of `value` (a map at the top level), in the layout infra/k8s uses: one entry per
 * line, strings quoted (subjects such as `$JS.API.>` would otherwise be variable references), variable
 * references bare.
 */
export function renderNatsConf(value: ConfMap): string {
  return `${Object.entries(value)
    .map(([key, v]) => `${renderKey(key)}: ${render(v, '')}`)
    .join('\n')}\n`;
}

function render(value: ConfValue, indent: string): string {
  const inner = `${indent}  `;
  if (value instanceof VariableReference) return `$${value.name}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[\n${value.map((v) => `${inner}${render(v, inner)}`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, v]) => `${inner}${renderKey(key)}: ${render(v, inner)}`).join('\n')}\n${indent}}`;
}

function renderKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
}
