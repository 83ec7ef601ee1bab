// Runs the lint passes of n8n's verification scanner (@n8n/scan-community-package) the way it checks a published
// version: the source tree (package.json, nodes/, credentials/) and the packed tarball (its .js and package.json).
// The scanner's provenance and download steps need the registry and a published version; they are not run here.
// Any finding fails. Usage: node scripts/scan-package.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `npm pack` as a user or the publish workflow runs it (its prepack builds), unpacked into a fresh folder. */
function packAndUnpack(work) {
	execFileSync('npm', ['pack', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
	const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
	if (!tarball) throw new Error('npm pack produced no tarball');
	const unpacked = path.join(work, 'package');
	mkdirSync(unpacked);
	execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', unpacked, '--strip-components=1']);
	return unpacked;
}

// What the tarball may hold: the built nodes (code, codex, icons), the credential, README, LICENSE, package.json.
const SHIPPED = [
	/^package\.json$/,
	/^README\.md$/,
	/^LICENSE$/,
	/^dist\/nodes\/[A-Za-z]+\/[A-Za-z]+(\.node\.js|\.node\.json|\.js|(\.dark)?\.svg)$/,
	/^dist\/credentials\/[A-Za-z]+\.credentials\.js$/,
];

function filesUnder(dir, prefix = '') {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
		e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
	);
}

/** The tarball's own findings: files it should not ship, a README that is not the package's, declared files missing. */
function checkContents(unpacked) {
	const findings = filesUnder(unpacked)
		.filter((f) => !SHIPPED.some((re) => re.test(f)))
		.map((f) => `ships ${f}, which the package does not need`);
	if (readFileSync(path.join(unpacked, 'README.md'), 'utf8') !== readFileSync(path.join(root, 'nodes', 'README.md'), 'utf8')) {
		findings.push('README.md is not the package README (nodes/README.md)');
	}
	const manifest = JSON.parse(readFileSync(path.join(unpacked, 'package.json'), 'utf8'));
	for (const file of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
		if (!existsSync(path.join(unpacked, file))) findings.push(`declares ${file}, which the tarball lacks`);
	}
	return findings.length ? { passed: false, message: 'unexpected contents', details: findings.join('\n') } : { passed: true };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'scan-package-'));
try {
	const passes = [
		['source tree', () => analyzePackage(root, SOURCE_FILE_PATTERNS)],
		['packed tarball', () => analyzePackage(packAndUnpack(work), ['**/*.js', 'package.json'])],
		['tarball contents', async () => checkContents(path.join(work, 'package'))],
	];
	let failed = false;
	for (const [name, run] of passes) {
		const result = await run();
		if (result.passed) {
			process.stdout.write(`scan ${name}: no findings\n`);
		} else {
			failed = true;
			process.stdout.write(`scan ${name}: ${result.message}\n${result.details ?? ''}\n`);
		}
	}
	process.exitCode = failed ? 1 : 0;
} finally {
	rmSync(work, { recursive: true, force: true });
}
