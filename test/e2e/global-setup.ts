// Starts one real n8n (pinned 2.x) for the end-to-end suite, with the packed package installed.
import { execFileSync } from 'node:child_process';
import { packPackage, repoRoot, startN8n, writeSharedN8n } from './support/n8n';

export const N8N_VERSION = process.env.N8N_VERSION ?? '2.40.7';

export default async function globalSetup(): Promise<void> {
	// Pack what the sources say now, not a stale build.
	execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repoRoot, stdio: 'inherit' });
	execFileSync('npx', ['gulp', 'build:icons'], { cwd: repoRoot, stdio: 'ignore' });
	const tarball = packPackage();
	writeSharedN8n(await startN8n(N8N_VERSION, tarball));
}
