/** Which pages may change the runtime: origins parsed as users write them, and the decision per request; and which host names a request may name. */
import { localstack } from '#spec';
import { HostPolicy, normalizeHost, normalizeOrigin, OriginPolicy, parseHosts, parseOrigins } from '../../shared/http/origin';

describe('origins as users write them', () => {
  it('normalizes to scheme, host and port', () => {
    expect(normalizeOrigin(' http://Dashboard.Example:8080/ ')).toBe('http://dashboard.example:8080');
    expect(normalizeOrigin('https://app.example:443')).toBe('https://app.example');
    expect(parseOrigins('http://a.example, http://b.example:3000  http://c.example')).toEqual([
      'http://a.example',
      'http://b.example:3000',
      'http://c.example',
    ]);
    expect(parseOrigins(undefined)).toEqual([]);
  });

  it.each(['*', 'attacker.example', 'http://a.example/path', 'ftp://a.example', 'http://user@a.example'])('rejects %s', (raw) => {
    expect(() => normalizeOrigin(raw)).toThrow();
  });
});

describe('the decision', () => {
  const policy = new OriginPolicy(localstack.port, ['http://dashboard.example:8080']);

  it.each([
    ['POST', {}, 'pass'],
    ['POST', { origin: 'http://attacker.example' }, 'refused'],
    ['PATCH', { origin: 'http://localhost:4567' }, 'refused'],
    ['DELETE', { origin: 'null' }, 'refused'],
    ['POST', { 'sec-fetch-site': 'cross-site' }, 'refused'],
    ['POST', { 'sec-fetch-site': 'same-site' }, 'refused'],
    ['POST', { 'sec-fetch-site': 'none' }, 'pass'],
    ['GET', { origin: 'http://attacker.example' }, 'pass'],
    ['HEAD', { origin: 'http://attacker.example' }, 'pass'],
    ['OPTIONS', { origin: 'http://attacker.example', 'access-control-request-method': 'POST' }, 'refused'],
    ['POST', { origin: `http://localhost:${localstack.port}` }, 'allowed'],
    ['POST', { origin: `http://127.0.0.1:${localstack.port}` }, 'allowed'],
    ['POST', { origin: `http://localhost.localstack.cloud:${localstack.port}` }, 'allowed'],
    ['POST', { origin: `http://[::1]:${localstack.port}` }, 'allowed'],
    ['POST', { origin: 'http://dashboard.example:8080' }, 'allowed'],
    ['OPTIONS', { origin: 'http://dashboard.example:8080', 'access-control-request-method': 'POST' }, 'preflight'],
  ])('%s with %j: %s', (method, headers, kind) => {
    expect(policy.decide(method, headers).kind).toBe(kind);
  });

  it('names the origin and how to allow it', () => {
    const decision = policy.decide('POST', { origin: 'http://attacker.example' });
    expect(decision).toMatchObject({ kind: 'refused', origin: 'http://attacker.example' });
    expect(decision.kind === 'refused' && decision.message).toMatch(
      /EXTRA_CORS_ALLOWED_ORIGINS=http:\/\/attacker\.example .*--allow-origin http:\/\/attacker\.example/,
    );
  });
});

describe('the host names requests may name', () => {
  const policy = new HostPolicy(['devbox.lan', '192.168.1.20']);

  it.each([
    'localhost',
    'localhost:4566',
    'LocalHost.:4566',
    '127.0.0.1',
    '127.255.0.9:80',
    '[::1]:4566',
    'app.localhost',
    'localhost.localstack.cloud',
    `12345.execute-api.localhost.localstack.cloud:${localstack.port}`,
    'sqs.us-east-1.localhost.localstack.cloud',
    'devbox.lan:4566',
    '192.168.1.20',
    undefined,
  ])('serves %s', (host) => {
    expect(policy.refusal(host)).toBeUndefined();
  });

  it.each([
    'attacker.example:4566',
    'localhost.attacker.example',
    'localhost.localstack.cloud.attacker.example',
    '127.0.0.1.nip.io',
    '0.0.0.0',
    '192.168.1.21',
    'devbox.lan.attacker.example',
    '',
    'local host',
    'localhost/path',
  ])('refuses %j, naming it and the setting', (host) => {
    const message = policy.refusal(host);
    expect(message).toContain(`"${host}"`);
    expect(message).toContain('OFFLINE_ALLOWED_HOSTS=');
    expect(message).toContain('--allow-host ');
  });

  it('normalizes names as users write them, and refuses what is not one', () => {
    expect(parseHosts(' DevBox.LAN, 192.168.1.20  [fe80::1]')).toEqual(['devbox.lan', '192.168.1.20', '[fe80::1]']);
    expect(parseHosts(undefined)).toEqual([]);
    for (const raw of ['*', 'http://devbox.lan', 'devbox.lan:4566', 'devbox.lan/x', 'user@devbox.lan']) expect(() => normalizeHost(raw)).toThrow();
  });
});
