// Builds, lints and packs the n8n node package with n8n's own CLI (`n8n-node`), in a folder that holds only the package.
//
// `n8n-node build` and `n8n-node lint` work on the whole current folder (`eslint .`, every `**/*.{png,svg}`); this
// repository also holds the agent server, tests and cached n8n installs, so both commands run in a staging folder with
// exactly the package's sources (package.json, tsconfig.json, eslint.config.mjs, nodes/, credentials/) and the
// repository's node_modules linked in. The build lands in dist/ as usual.
//
// Usage: node scripts/n8n-package.js build | lint [--fix] | prepack | postpack
const { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const PACKAGE_SOURCES = ['package.json', 'tsconfig.json', 'eslint.config.mjs', 'nodes', 'credentials'];
// The README published with the package (for n8n users) and where the project's own README waits during `npm pack`.
const PACKAGE_README = path.join(root, 'nodes', 'README.md');
const PROJECT_README = path.join(root, 'README.md');
const SAVED_PROJECT_README = path.join(root, 'node_modules', '.cache', 'agent-bridge', 'README.project.md');

function stage() {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'n8n-package-'));
	for (const entry of PACKAGE_SOURCES) cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
	symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
	return dir;
}

/** Runs `n8n-node <args>` in a fresh staging folder; paths in its output are shown as the repository's. */
function n8nNode(args) {
	const dir = stage();
	try {
		const res = spawnSync(path.join(root, 'node_modules', '.bin', 'n8n-node'), args, {
			cwd: dir,
			encoding: 'utf8',
			env: { ...process.env, CI: 'true' },
		});
		const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.split(dir).join(root);
		process.stdout.write(out);
		if (res.error) throw res.error;
		return { dir, ok: res.status === 0 };
	} catch (error) {
		rmSync(dir, { recursive: true, force: true });
		throw error;
	}
}

function build() {
	const { dir, ok } = n8nNode(['build']);
	try {
		if (!ok) return false;
		rmSync(path.join(root, 'dist'), { recursive: true, force: true });
		cpSync(path.join(dir, 'dist'), path.join(root, 'dist'), { recursive: true });
		return true;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

function lint(fix) {
	const { dir, ok } = n8nNode(fix ? ['lint', '--fix'] : ['lint']);
	try {
		// `--fix` edits the staged copy: bring the fixes back.
		if (fix) for (const entry of ['nodes', 'credentials']) cpSync(path.join(dir, entry), path.join(root, entry), { recursive: true });
		return ok;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** npm always packs the top-level README: during `npm pack` it is the package README, then the project's again. */
function useProjectReadme() {
	if (!existsSync(SAVED_PROJECT_README)) return;
	renameSync(SAVED_PROJECT_README, PROJECT_README);
}

function usePackageReadme() {
	useProjectReadme(); // a pack that died half-way left the package README in place
	const packageReadme = readFileSync(PACKAGE_README);
	mkdirSync(path.dirname(SAVED_PROJECT_README), { recursive: true });
	renameSync(PROJECT_README, SAVED_PROJECT_README);
	writeFileSync(PROJECT_README, packageReadme);
}

const [command, ...rest] = process.argv.slice(2);
let ok = true;
switch (command) {
	case 'build':
		ok = build();
		break;
	case 'lint':
		ok = lint(rest.includes('--fix'));
		break;
	case 'prepack':
		ok = build();
		if (ok) usePackageReadme();
		break;
	case 'postpack':
		useProjectReadme();
		break;
	default:
		process.stderr.write('usage: node scripts/n8n-package.js build | lint [--fix] | prepack | postpack\n');
		ok = false;
}
process.exitCode = ok ? 0 : 1;
