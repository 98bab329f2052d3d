/** jest.config.js sets TEST_TIME_SCALE once for every worker: as given, or from the machine's load per core when not. */
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../../shared/paths';

/** Loads jest.config.js in a process whose machine has the load averages `loads` on `cores` cores; what it set and printed. */
function configure(scale: string | undefined, loads = [0, 0, 0], cores = 2) {
  const script = `const os = require('node:os');
    os.loadavg = () => [${loads.join(', ')}];
    os.availableParallelism = () => ${cores};
    require('./jest.config.js');
    console.log(process.env.TEST_TIME_SCALE);`;
  const env = { ...process.env, TEST_TIME_SCALE: scale };
  if (scale === undefined) delete env.TEST_TIME_SCALE;
  const { status, stdout, stderr } = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  return { status, scale: stdout.trim(), stderr: stderr.trim() };
}

it('takes a given scale as it is, whatever the load', () => {
  expect(configure('2.5', [9, 9, 9])).toEqual({ status: 0, scale: '2.5', stderr: '' });
});

it('refuses a scale below 1 or not a number, naming it', () => {
  for (const bad of ['0.5', 'slow']) {
    const { status, stderr } = configure(bad);
    expect(status).toBe(1);
    expect(stderr).toContain(`TEST_TIME_SCALE must be a number of at least 1, got "${bad}"`);
  }
});

it('is 1 plus the highest load average per core when none is given, and says so when above 1', () => {
  expect(configure(undefined, [0, 0, 0], 2)).toEqual({ status: 0, scale: '1', stderr: '' });
  expect(configure('', [3, 1, 0.5], 2)).toEqual({
    status: 0,
    scale: '2.5',
    stderr: 'Test timeouts x2.5 (load average 3.0 on 2 cores); TEST_TIME_SCALE sets it',
  });
  // Quiet this minute, busy over the last quarter hour.
  expect(configure(undefined, [2, 6, 10], 4).scale).toBe('3.5');
});
