// docs/nodes.md stays in step with the nodes: each node's type and typeVersion, and every collection parameter's name.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { INodeType } from 'n8n-workflow';
import { AgentBridgeAgent } from '../../nodes/AgentBridgeAgent/AgentBridgeAgent.node';
import { AgentBridgeContact } from '../../nodes/AgentBridgeContact/AgentBridgeContact.node';
import { AiAgentTrigger } from '../../nodes/AiAgentTrigger/AiAgentTrigger.node';
import { ConversationEndedTrigger } from '../../nodes/ConversationEndedTrigger/ConversationEndedTrigger.node';
import { OutgoingMessageTrigger } from '../../nodes/OutgoingMessageTrigger/OutgoingMessageTrigger.node';
import { ReplyToConversation } from '../../nodes/ReplyToConversation/ReplyToConversation.node';
import { ScoreLead } from '../../nodes/ScoreLead/ScoreLead.node';
import { TagAddedTrigger } from '../../nodes/TagAddedTrigger/TagAddedTrigger.node';

const root = path.resolve(__dirname, '..', '..');
const docs = readFileSync(path.join(root, 'docs', 'nodes.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const nodes: INodeType[] = [
	AiAgentTrigger,
	ConversationEndedTrigger,
	TagAddedTrigger,
	ScoreLead,
	AgentBridgeContact,
	ReplyToConversation,
	AgentBridgeAgent,
	OutgoingMessageTrigger,
].map(
	(N) => new N(),
);

test.each(nodes.map((n) => [n.description.name, n] as const))('docs/nodes.md gives the type and typeVersion of %s', (name, node) => {
	const row = docs.split('\n').find((l) => l.includes(`\`${pkg.name}.${name}\``));
	expect(row).toBeDefined();
	expect(row).toContain(`| \`${node.description.version}\` |`);
});

test('docs/nodes.md shows the JSON shape of every collection parameter', () => {
	const section = docs.slice(docs.indexOf('## Parameter shapes in workflow JSON'));
	const collections = nodes.flatMap((n) =>
		n.description.properties.filter((p) => ['collection', 'fixedCollection', 'multiOptions'].includes(p.type)).map((p) => p.name),
	);
	expect(collections.length).toBeGreaterThan(4);
	for (const name of collections) expect(section).toContain(`| \`${name}\``);
});

test('every workflow in docs/workflows uses only Agent Bridge node types, versions and parameters the package has', () => {
	const byType = new Map(nodes.map((n) => [`${pkg.name}.${n.description.name}`, n]));
	// n8n offers a node with usableAsTool also as `<name>Tool` (an AI Agent's tool), with the same parameters.
	for (const n of nodes) if (n.description.usableAsTool) byType.set(`${pkg.name}.${n.description.name}Tool`, n);
	const files = readdirSync(path.join(root, 'docs', 'workflows')).filter((f) => f.endsWith('.json'));
	expect(files).toEqual(expect.arrayContaining(['telegram-agent.json', 'whatsapp-agent.json', 'sms-agent.json', 'email-agent.json', 'slack-agent.json']));
	for (const file of files) {
		const workflow = JSON.parse(readFileSync(path.join(root, 'docs', 'workflows', file), 'utf8'));
		const ours = workflow.nodes.filter((n: { type: string }) => n.type.startsWith(`${pkg.name}.`));
		expect({ file, ours: ours.length > 0 }).toEqual({ file, ours: true });
		for (const node of ours) {
			expect({ file, node: node.name, type: byType.has(node.type), version: node.typeVersion }).toEqual({
				file,
				node: node.name,
				type: true,
				version: byType.get(node.type)?.description.version,
			});
			const known = byType.get(node.type)?.description.properties.map((p) => p.name) ?? [];
			expect({ file, node: node.name, unknown: Object.keys(node.parameters).filter((k) => !known.includes(k)) }).toEqual({ file, node: node.name, unknown: [] });
		}
	}
});

describe('the package README', () => {
	const readme = readFileSync(path.join(root, 'nodes', 'README.md'), 'utf8');
	const section = (title: string) => {
		const start = readme.indexOf(`\n## ${title}\n`);
		return start < 0 ? undefined : readme.slice(start, readme.indexOf('\n## ', start + 1));
	};

	it("has the sections n8n's verification guidelines ask for", () => {
		for (const title of ['Install', 'Credential', 'Nodes', 'Compatibility', 'Resources', 'Version history', 'License']) expect(section(title)).toBeDefined();
	});

	it('names the current version and every node in its version history', () => {
		const history = section('Version history')!.replace(/\s+/g, ' ');
		expect(history).toContain(`**${pkg.version}**`);
		for (const node of nodes) expect(history).toContain(`*${node.description.displayName}*`);
	});
});
