// The seed's six tags against a real n8n (docs/workflows/tag-workflows.json): one conversation raises each tag, some
// of them twice, and each branch of the Tag Added workflow runs exactly once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eDir, type Execution, N8nApi, nodeOutput, repoRoot, waitFor } from './support/n8n';
import { RunningAgentServer, startAgentServer } from './support/agent-server';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let workflowId: string;

// Tag, in the Switch's output order, and the first node of its branch.
const BRANCHES: Array<[string, string]> = [
	['interested_pricing', 'Start Pricing Sequence'],
	['competitor_aware', 'Send Comparison'],
	['urgent_need', 'Mark Priority'],
	['wants_human', 'Flag Team Alert'],
	['happy_customer', 'Request Review'],
	['referral_lead', 'Track Referral'],
];
const COMPARISON = 'Comparing agencies? Here is how we stack up, side by side: https://example.com/compare';
const REVIEW = 'Thank you so much for the kind words! Would you mind leaving us a quick review? https://example.com/review';

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API', 'agentBridgeApi', { serverUrl: server.url, apiKey: server.apiKey });
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', 'tag-workflows.json'), 'utf8');
	workflowId = (await n8n.importWorkflow(JSON.parse(text.replaceAll('CREDENTIAL_ID', credential.id)))).id;
	await n8n.activate(workflowId);
	// n8n 2.x finishes activation in the background: act only once the trigger has subscribed.
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 1, 30_000, 'the trigger to subscribe');
}, 120_000);

afterAll(async () => {
	if (workflowId) await n8n.deactivate(workflowId).catch(() => undefined);
	await server?.stop();
});

async function chat(text: string, conversationId?: string) {
	const res = await server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) });
	expect(res.status).toBe(200);
	return res.body as { conversation: { id: string }; contact: { id: string } };
}

const conversation = async (id: string) => (await server.api('GET', `/v1/conversations/${id}`)).body;
const workflowTexts = (c: any) => c.messages.filter((m: any) => m.source === 'workflow').map((m: any) => m.text);

test('a conversation that raises all six tags runs each branch exactly once', async () => {
	const first = await chat("Hi, I'm Sam. How much does a new website cost?");
	const id = first.conversation.id;
	const contactId = first.contact.id;
	await chat('Another agency quoted me already; what is your price?', id); // competitor_aware; pricing again
	await chat('We need it urgently, the old site is down', id);
	await chat('I was referred by Alex, a friend told me about you', id); // two referral keywords, one tag
	await chat('You have been amazing so far, great job', id);
	// Both workflow replies must land before the handoff: they stay quiet while a human handles the chat.
	await waitFor(async () => workflowTexts(await conversation(id)).length === 2, 30_000, 'the comparison and review replies');
	await chat('Can I talk to a real person?', id);

	let contact: any;
	await waitFor(
		async () => {
			contact = (await server.api('GET', `/v1/contacts/${contactId}`)).body;
			return contact.tags.includes('team_alerted') && contact.customFields.lead_source === 'referral';
		},
		30_000,
		'every branch to write back',
	);
	expect(contact.tags).toEqual(expect.arrayContaining(BRANCHES.map(([tag]) => tag)));
	expect(contact.customFields).toMatchObject({ pricing_sequence: 'started', priority: 'high', lead_source: 'referral' });

	// Give n8n time to run a duplicate, if there were one.
	await new Promise((r) => setTimeout(r, 2000));
	const runs: Execution[] = await n8n.executions(workflowId);
	expect(runs).toHaveLength(6);
	for (const run of runs) expect(run.status).toBe('success');
	const tagOf = (run: Execution) => nodeOutput(run, 'Tag Added')[0][0].tag as string;
	expect(runs.map(tagOf).sort()).toEqual(BRANCHES.map(([tag]) => tag).sort());
	for (const run of runs) {
		const tag = tagOf(run);
		expect(nodeOutput(run, 'Tag Added')[0][0]).toMatchObject({ addedBy: 'agent', contactId, conversationId: id });
		const routed = nodeOutput(run, 'Route by Tag').map((items) => items.length);
		expect(routed).toEqual(BRANCHES.map(([t]) => (t === tag ? 1 : 0)));
		for (const [t, node] of BRANCHES) expect(nodeOutput(run, node).length > 0).toBe(t === tag);
	}

	const detail = await conversation(id);
	expect(workflowTexts(detail).sort()).toEqual([COMPARISON, REVIEW].sort());
	expect(detail.status).toBe('human');
	// The timeline shows each of the agent's tags once (with why), and the tag the workflow added as the workflow's.
	const added = detail.timeline.filter((e: any) => e.kind === 'tag.added');
	const byAgent = added.filter((e: any) => e.detail.addedBy === 'agent');
	expect(byAgent.map((e: any) => e.detail.tag).sort()).toEqual(BRANCHES.map(([tag]) => tag).sort());
	for (const e of byAgent) expect(e.detail.eventId).toEqual(expect.any(String));
	expect(added.filter((e: any) => e.detail.addedBy === 'workflow').map((e: any) => e.detail.tag)).toEqual(['team_alerted']);
}, 60_000);
