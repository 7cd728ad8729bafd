// Builds the command plane's dashboard: installs the locked npm packages (npm ci, only when
// package-lock.json changed since the last install in WORK_DIR), type-checks src/ with the
// TypeScript compiler (tsc --noEmit, tsconfig.json; esbuild only strips types), then bundles
// src/ with esbuild into OUT_DIR: index.html (no-cache) and assets/ with content-hashed names (cached for ever),
// each with .gz and .br twins. A bundle whose sources did not change is kept as it is. Run by
// Maven (command/pom.xml, phase generate-resources):
//
//   node build.mjs OUT_DIR WORK_DIR
//
// node_modules lives in WORK_DIR (under target/), never beside the sources.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
if (process.argv.length !== 4) {
  console.error('usage: node build.mjs OUT_DIR WORK_DIR');
  process.exit(2);
}
const out = path.resolve(process.argv[2]);
const work = path.resolve(process.argv[3]);

function install() {
  const pkg = fs.readFileSync(path.join(here, 'package.json'));
  const lock = fs.readFileSync(path.join(here, 'package-lock.json'));
  const digest = createHash('sha256').update(pkg).update(lock).digest('hex');
  const stamp = path.join(work, 'node_modules', '.custos-installed');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) {
    return;
  }
  fs.mkdirSync(work, { recursive: true });
  fs.writeFileSync(path.join(work, 'package.json'), pkg);
  fs.writeFileSync(path.join(work, 'package-lock.json'), lock);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--prefer-offline',
    '--loglevel=error'], { cwd: work, stdio: 'inherit' });
  if (run.error || run.status !== 0) {
    console.error(`dashboard: npm ci failed in ${work} (expected: npm and the npm registry or`
      + ' its cache; build with -Dskip.npm to leave the dashboard out)');
    process.exit(1);
  }
  fs.writeFileSync(stamp, digest);
}

function compress(file) {
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file + '.gz', zlib.gzipSync(bytes, { level: 9 }));
  fs.writeFileSync(file + '.br', zlib.brotliCompressSync(bytes, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
  }));
}

/** A digest of everything the bundle is made of, to skip a bundle that is up to date. */
function sources() {
  const digest = createHash('sha256').update(out);
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (fs.statSync(file).isDirectory()) {
        walk(file);
      } else {
        digest.update(file).update(fs.readFileSync(file));
      }
    }
  };
  walk(path.join(here, 'src'));
  for (const name of ['build.mjs', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    digest.update(fs.readFileSync(path.join(here, name)));
  }
  return digest.digest('hex');
}

install();
const bundled = path.join(work, '.custos-bundled');
const digest = sources();
if (fs.existsSync(path.join(out, 'index.html')) && fs.existsSync(bundled)
    && fs.readFileSync(bundled, 'utf8') === digest) {
  process.exit(0);
}
/** Type-checks src/ with tsconfig.json, resolving packages in WORK_DIR's node_modules. */
function typecheck() {
  const config = path.join(work, 'tsconfig.check.json');
  fs.writeFileSync(config, JSON.stringify({
    extends: path.join(here, 'tsconfig.json'),
    compilerOptions: { paths: { '*': [path.join(work, 'node_modules', '*')] } },
    include: [path.join(here, 'src')],
  }, null, 2));
  const tsc = path.join(work, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '--pretty', 'false', '-p', config],
    { stdio: 'inherit' });
  if (run.error || run.status !== 0) {
    console.error('dashboard: the type check failed (expected: tsc --noEmit reports no error in'
      + ` ${path.join(here, 'src')})`);
    process.exit(1);
  }
}

typecheck();
const esbuild = createRequire(path.join(work, 'package.json'))('esbuild');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: [path.join(here, 'src', 'main.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir: path.join(out, 'assets'),
  entryNames: '[name]-[hash]',
  nodePaths: [path.join(work, 'node_modules')],
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});
if (result.errors.length > 0) {
  process.exit(1);
}
let js;
let css;
for (const file of Object.keys(result.metafile.outputs)) {
  const name = path.basename(file);
  if (name.endsWith('.js')) js = name;
  if (name.endsWith('.css')) css = name;
}
if (!js || !css) {
  console.error('dashboard: esbuild wrote no script or no style sheet');
  process.exit(1);
}
const icon = fs.readFileSync(path.join(here, 'src', 'favicon.svg'));
const iconName = `favicon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;
fs.writeFileSync(path.join(out, 'assets', iconName), icon);
const html = fs.readFileSync(path.join(here, 'src', 'index.html'), 'utf8')
  .replaceAll('{{script}}', `assets/${js}`)
  .replaceAll('{{style}}', `assets/${css}`)
  .replaceAll('{{icon}}', `assets/${iconName}`);
fs.writeFileSync(path.join(out, 'index.html'), html);
for (const name of fs.readdirSync(path.join(out, 'assets'))) {
  if (/\.(js|css|svg|txt)$/.test(name)) {
    compress(path.join(out, 'assets', name));
  }
}
compress(path.join(out, 'index.html'));
fs.writeFileSync(bundled, digest);
