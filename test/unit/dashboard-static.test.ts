/** The dashboard's file serving: the reports folder and nothing outside it; the commands it shows. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { curl, shellQuote } from '../../dashboard/server/controls';
import { reportFile } from '../../dashboard/server/static';

describe('reportFile', () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'dashboard-reports-'));
  const root = path.join(base, 'reports');
  beforeAll(() => {
    mkdirSync(path.join(root, 'run-1'), { recursive: true });
    writeFileSync(path.join(root, 'run-1', 'report.html'), '<p>report</p>');
    writeFileSync(path.join(root, 'index.html'), '<p>index</p>');
    writeFileSync(path.join(base, 'secret.txt'), 'secret');
    symlinkSync(path.join(root, 'run-1'), path.join(root, 'latest'));
    symlinkSync(base, path.join(root, 'escape'));
    symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'secret-link.txt'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('finds files, folders by their index.html, and links that stay inside', async () => {
    expect(await reportFile(root, 'run-1/report.html')).toBe(path.join(root, 'run-1', 'report.html'));
    expect(await reportFile(root, '')).toBe(path.join(root, 'index.html'));
    expect(await reportFile(root, 'latest/report.html')).toBe(path.join(root, 'run-1', 'report.html'));
    expect(await reportFile(root, 'run%2D1/report.html')).toBe(path.join(root, 'run-1', 'report.html'));
  });

  it.each([
    '../secret.txt',
    '%2e%2e/secret.txt',
    '..%2fsecret.txt',
    'run-1/../../secret.txt',
    `${'../'.repeat(8)}etc/passwd`,
    'escape/secret.txt',
    'secret-link.txt',
    'run-1', // a folder without index.html
    'missing.html',
    'bad%zzescape',
    'nul%00.html',
    '/etc/passwd',
  ])('refuses %s', async (name) => {
    expect(await reportFile(root, name)).toBeUndefined();
  });
});

describe('the commands the controls show', () => {
  it('quotes for a POSIX shell', () => {
    expect(shellQuote('experiments/01-tutorial.json')).toBe('experiments/01-tutorial.json');
    expect(shellQuote('[{"service":"dynamodb"}]')).toBe(`'[{"service":"dynamodb"}]'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
  });

  it('writes a curl command with its JSON body', () => {
    expect(curl('PATCH', 'http://localhost:4566/_localstack/chaos/faults', [{ service: 'dynamodb', probability: 0.5 }])).toBe(
      `curl -X PATCH http://localhost:4566/_localstack/chaos/faults -H 'Content-Type: application/json' -d '[{"service":"dynamodb","probability":0.5}]'`,
    );
  });
});
