/** Typed, fail-fast reading of environment variables for the services' config modules. */

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export interface EnvReader {
  string(name: string, options?: { default?: string; minLength?: number }): string;
  optionalString(name: string): string | undefined;
  /** A PEM text (keys); `\n` written as two characters (a one-line variable) becomes a line break. */
  pem(name: string): string;
  optionalPem(name: string): string | undefined;
  integer(name: string, options: { default: number; min?: number; max?: number }): number;
  boolean(name: string, options: { default: boolean }): boolean;
  oneOf<T extends string>(name: string, allowed: readonly T[], options: { default: T }): T;
}

export function envReader(env: Env = process.env): EnvReader {
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  return {
    string(name, options = {}) {
      const value = raw(name) ?? options.default;
      if (value === undefined) throw new ConfigError(name, 'is required but not set');
      if (options.minLength !== undefined && value.length < options.minLength) {
        throw new ConfigError(name, `must be at least ${options.minLength} characters long`);
      }
      return value;
    },
    optionalString(name) {
      return raw(name);
    },
    pem(name) {
      const value = raw(name);
      if (value === undefined) throw new ConfigError(name, 'is required but not set');
      return unescapeLineBreaks(value);
    },
    optionalPem(name) {
      const value = raw(name);
      return value === undefined ? undefined : unescapeLineBreaks(value);
    },
    integer(name, options) {
      const value = raw(name);
      if (value === undefined) return options.default;
      const parsed = Number(value);
      if (!Number.isInteger(parsed)) throw new ConfigError(name, `must be an integer, got "${value}"`);
      if (options.min !== undefined && parsed < options.min) throw new ConfigError(name, `must be >= ${options.min}`);
      if (options.max !== undefined && parsed > options.max) throw new ConfigError(name, `must be <= ${options.max}`);
      return parsed;
    },
    boolean(name, options) {
      const value = raw(name)?.toLowerCase();
      if (value === undefined) return options.default;
      if (['1', 'true', 'yes'].includes(value)) return true;
      if (['0', 'false', 'no'].includes(value)) return false;
      throw new ConfigError(name, `must be true or false, got "${value}"`);
    },
    oneOf(name, allowed, options) {
      const value = raw(name);
      if (value === undefined) return options.default;
      if (!(allowed as readonly string[]).includes(value)) {
        throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
      }
      return value as (typeof allowed)[number];
    },
  };
}

/** `\n` written as two characters (a PEM in a one-line variable) becomes a line break. */
function unescapeLineBreaks(value: string): string {
  return value.replace(/\\n/g, '\n');
}
