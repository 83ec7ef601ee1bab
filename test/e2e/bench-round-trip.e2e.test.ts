// bench/n8n-round-trip.ts keeps working against the suite's real n8n: one round trip, split into the server's share
// and n8n's. (No timing is asserted; the figure lives in docs/benchmarks.md.)
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, readSharedN8n, repoRoot } from './support/n8n';

test('bench/n8n-round-trip.ts splits a round trip bot -> workflow -> field -> bot into the server share and n8n share', async () => {
	const n8n = readSharedN8n();
	const { stdout } = await promisify(execFile)(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), [path.join(repoRoot, 'bench', 'n8n-round-trip.ts'), '1'], {
		cwd: repoRoot,
		timeout: 150_000,
		env: { ...cleanEnv(), N8N_URL: n8n.url, N8N_API_KEY: n8n.apiKey },
	});
	expect(stdout).toMatch(/^\| n8n: the workflow until Store Score's request \(server time taken out\) \| \d+\.\d \| \d+\.\d%/m);
	expect(stdout).toMatch(/^\| \*\*round trip\*\* \| \d+\.\d \| 100\.0% \|$/m);
	expect(stdout).toMatch(/^ratio: \d\.\d{3} of the round trip is the server's$/m);
}, 180_000);
