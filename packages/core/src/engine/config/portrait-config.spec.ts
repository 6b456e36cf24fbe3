import { ConfigError, loadConfig } from './portrait-config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: undefined,
      databasePoolSize: 10,
      redisUrl: undefined,
      secretKey: undefined,
      previousSecretKeys: [],
      plugins: [],
      dataDir: '.portrait',
      adminPort: 3000,
      apiPort: 4000,
      workerPort: 4100,
      host: '127.0.0.1',
      logLevel: 'info',
      production: false,
      demo: true,
      webhookRateLimitPerMinute: 6000,
    });
  });

  it('names the bad variable and never echoes its value', () => {
    const attempt = () => loadConfig({ DATABASE_URL: 'not-a-url', API_PORT: '99999' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/DATABASE_URL must be a postgres:\/\//);
      expect(message).toMatch(/API_PORT must be a port/);
      expect(message).not.toContain('not-a-url');
    }
  });

  it('accepts a real PostgreSQL and Redis', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db.internal:5432/portrait', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.databaseUrl).toBe('postgres://u:p@db.internal:5432/portrait');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
  });
});
