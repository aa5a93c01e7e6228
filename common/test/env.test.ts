import { ConfigError, envReader } from '@ticketing/common/http';

describe('envReader', () => {
  it('When a required variable is missing, then the error names it', () => {
    expect(() => envReader({}).string('JWT_KEY')).toThrow(new ConfigError('JWT_KEY', 'is required but not set'));
  });

  it('When a secret is too short, then the error says how long it must be', () => {
    expect(() => envReader({ JWT_KEY: 'asdf' }).string('JWT_KEY', { minLength: 32 })).toThrow(/JWT_KEY must be at least 32 characters/);
  });

  it('When values are present, then they are parsed to their types', () => {
    const read = envReader({ PORT: '3005', SECURE: 'false', MODE: 'stan' });
    expect(read.integer('PORT', { default: 1 })).toBe(3005);
    expect(read.boolean('SECURE', { default: true })).toBe(false);
    expect(read.oneOf('MODE', ['jetstream', 'stan'] as const, { default: 'jetstream' })).toBe('stan');
    expect(() => read.integer('MODE', { default: 1 })).toThrow(/MODE must be an integer/);
  });
});
