// The packed package, installed into n8n's nodes folder as a user does, shows every node on n8n 2.x and 1.x.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { N8N_1X, packedTarball, readSharedN8n, repoRoot, startN8n, stopN8n } from './support/n8n';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const expectedTypes: string[] = pkg.n8n.nodes.map(
	(file: string) => `${pkg.name}.${nodeName(path.join(repoRoot, file))}`,
);

function nodeName(compiledFile: string): string {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const mod = require(compiledFile);
	const NodeClass = Object.values(mod).find((v) => typeof v === 'function') as new () => { description: { name: string } };
	return new NodeClass().description.name;
}

async function listedTypes({ url, cookie }: { url: string; cookie: string }): Promise<string[]> {
	// The editor's own node list, as the node panel loads it.
	const res = await fetch(`${url}/types/nodes.json`, { headers: { cookie } });
	expect(res.status).toBe(200);
	const nodes = (await res.json()) as Array<{ name: string }>;
	return nodes.map((n) => n.name);
}

test('the package declares the eight nodes', () => {
	expect(expectedTypes).toHaveLength(8);
});

test('the installed package has no runtime dependencies and ships only its build', () => {
	const installed = path.join(readSharedN8n().userFolder, '.n8n', 'nodes', 'node_modules', pkg.name);
	const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
	expect(manifest.dependencies ?? {}).toEqual({});
	expect(Object.keys(manifest.peerDependencies)).toEqual(['n8n-workflow']);
	expect(readdirSync(installed).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
	expect(readdirSync(path.join(installed, 'dist')).sort()).toEqual(['credentials', 'nodes']);
	// The README n8n users read on the registry, not the repository's.
	expect(readFileSync(path.join(installed, 'README.md'), 'utf8')).toBe(
		readFileSync(path.join(repoRoot, 'nodes', 'README.md'), 'utf8'),
	);
});

test('installing the tarball as the README says pulls in nothing: n8n-workflow comes from n8n', () => {
	const nodeModules = path.join(readSharedN8n().userFolder, '.n8n', 'nodes', 'node_modules');
	expect(readdirSync(nodeModules).filter((d) => !d.startsWith('.'))).toEqual([pkg.name]);
});

test('n8n 2.x lists every node of the package, and the action nodes as AI tools', async () => {
	const types = await listedTypes(readSharedN8n());
	for (const type of expectedTypes) expect(types).toContain(type);
	for (const tool of ['scoreLead', 'agentBridgeContact', 'replyToConversation', 'agentBridgeAgent']) {
		expect(types).toContain(`${pkg.name}.${tool}Tool`);
	}
});

describe(`n8n ${N8N_1X}`, () => {
	let n8n: { url: string; cookie: string; pid: number } | undefined;
	beforeAll(async () => {
		n8n = await startN8n(N8N_1X, packedTarball());
	}, 600_000);
	afterAll(() => {
		if (n8n) stopN8n(n8n.pid);
	});

	test('lists every node of the package', async () => {
		const types = await listedTypes(n8n!);
		for (const type of expectedTypes) expect(types).toContain(type);
	});
});
