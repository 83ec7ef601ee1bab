// Every importable workflow in docs/workflows is valid for the n8n versions the package supports (the suite's 2.x and the
// last 1.x): it parses, each n8n node type exists in that n8n's nodes-base with the typeVersion the file gives, its
// top-level parameters and credential types are the node's own, and every connection joins nodes of the file. Read
// from the installed n8n's node classes.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { installN8n, N8N_1X, readSharedN8n, repoRoot } from './support/n8n';

interface Described {
	versions: number[];
	byVersion: Record<string, { properties: string[]; credentials: string[] }>;
}

// Runs in the n8n install's own Node.js: loads each node class named by nodes-base's known/nodes.json.
const DESCRIBE = `
const path = require('path');
const base = path.join(process.cwd(), 'node_modules', 'n8n-nodes-base');
const known = require(path.join(base, 'dist/known/nodes.json'));
const out = {};
for (const name of JSON.parse(process.argv[1])) {
	const entry = known[name];
	if (!entry) continue;
	const node = new (require(path.join(base, entry.sourcePath))[entry.className])();
	const versions = node.nodeVersions ? Object.values(node.nodeVersions) : [node];
	const byVersion = {};
	for (const v of versions) {
		const d = v.description;
		for (const n of [].concat(d.version)) {
			byVersion[n] = { properties: d.properties.map((p) => p.name), credentials: (d.credentials || []).map((c) => c.name) };
		}
	}
	out[name] = { versions: Object.keys(byVersion).map(Number), byVersion };
}
process.stdout.write(JSON.stringify(out));
`;

const dir = path.join(repoRoot, 'docs', 'workflows');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const workflows = files.map((file) => ({ file, workflow: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) }));
const BASE = 'n8n-nodes-base.';

function describeBaseNodes(version: string, names: string[]): Record<string, Described> {
	const { n8nDir, nodeBin } = installN8n(version);
	const out = execFileSync(path.join(nodeBin, 'node'), ['-e', DESCRIBE, JSON.stringify(names)], { cwd: n8nDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
	return JSON.parse(out);
}

test.each([...new Set([readSharedN8n().version, N8N_1X])])('every docs/workflows file uses node types, versions, parameters and credentials that n8n %s has', (n8nVersion) => {
	expect(files.length).toBeGreaterThan(20);
	const used = [...new Set(workflows.flatMap(({ workflow }) => workflow.nodes.map((n: { type: string }) => n.type)).filter((t) => t.startsWith(BASE)))];
	const described = describeBaseNodes(n8nVersion, used.map((t) => t.slice(BASE.length)));
	// The channel recipes' nodes are among them.
	for (const name of ['telegram', 'telegramTrigger', 'whatsApp', 'whatsAppTrigger', 'twilio', 'twilioTrigger', 'slack', 'slackTrigger', 'emailSend', 'emailReadImap']) {
		expect(described[name]?.versions.length).toBeGreaterThan(0);
	}
	const problems: string[] = [];
	for (const { file, workflow } of workflows) {
		for (const node of workflow.nodes) {
			if (!node.type.startsWith(BASE)) continue;
			const d = described[node.type.slice(BASE.length)];
			if (!d) {
				problems.push(`${file}: ${node.name}: no node type ${node.type}`);
				continue;
			}
			const version = d.byVersion[String(node.typeVersion)];
			if (!version) {
				problems.push(`${file}: ${node.name}: ${node.type} has no typeVersion ${node.typeVersion} (has ${d.versions.join(', ')})`);
				continue;
			}
			for (const key of Object.keys(node.parameters ?? {})) {
				if (!version.properties.includes(key)) problems.push(`${file}: ${node.name}: ${node.type}@${node.typeVersion} has no parameter ${key}`);
			}
			for (const credential of Object.keys(node.credentials ?? {})) {
				if (!version.credentials.includes(credential)) problems.push(`${file}: ${node.name}: ${node.type} takes no ${credential} credential`);
			}
		}
	}
	expect(problems).toEqual([]);
}, 600_000);

test.each(files)('%s: valid workflow JSON whose connections join nodes it has', (file) => {
	const { workflow } = workflows.find((w) => w.file === file)!;
	expect(typeof workflow.name).toBe('string');
	const names = new Set(workflow.nodes.map((n: { name: string }) => n.name));
	expect(names.size).toBe(workflow.nodes.length);
	const ids = workflow.nodes.map((n: { id: string }) => n.id);
	expect(new Set(ids).size).toBe(ids.length);
	// Outputs by connection type: main, and ai_tool, ai_languageModel ... for AI sub-nodes.
	for (const [from, byType] of Object.entries(workflow.connections as Record<string, Record<string, Array<Array<{ node: string }> | null>>>)) {
		expect({ from, known: names.has(from) }).toEqual({ from, known: true });
		const targets = Object.values(byType).flatMap((outputs) => outputs.flatMap((o) => o ?? []));
		expect(targets.length).toBeGreaterThan(0);
		for (const target of targets) expect({ target: target.node, known: names.has(target.node) }).toEqual({ target: target.node, known: true });
	}
	// A trigger that n8n serves over a webhook needs a fixed webhookId, so its URL survives re-import.
	for (const node of workflow.nodes) {
		if (/Trigger$/.test(node.type) && node.type !== `${BASE}emailReadImap`) expect({ node: node.name, webhookId: typeof node.webhookId }).toEqual({ node: node.name, webhookId: 'string' });
	}
});
