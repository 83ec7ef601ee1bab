// Seed scenario 4, the account lookup with disclosure: the account-assistant agent collects the account email and an
// order number, the Account Lookup workflow in a real n8n writes the plan, renewal date, balance and card (last four)
// to the contact, and the agent shares only what its disclosure rules allow; asking for the card brings in a human.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { e2eDir, N8nApi, nodeOutput, repoRoot, waitFor } from './support/n8n';
import { RunningAgentServer, startAgentServer } from './support/agent-server';

const BLOCKED = "I can't share payment card details in chat — I'm bringing in a member of our billing team who can help you with that here.";

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;
let workflowId: string;

function workflowWithCredential(file: string, credentialId: string) {
	const text = readFileSync(path.join(repoRoot, 'docs', 'workflows', file), 'utf8');
	return JSON.parse(text.replaceAll('CREDENTIAL_ID', credentialId));
}

beforeAll(async () => {
	server = await startAgentServer();
	const credential = await n8n.createCredential('Agent Bridge API (accounts)', 'agentBridgeApi', {
		serverUrl: server.url,
		apiKey: server.apiKey,
	});
	workflowId = (await n8n.importWorkflow(workflowWithCredential('account-lookup.json', credential.id))).id;
	await n8n.activate(workflowId);
	// n8n 2.x finishes activation in the background: chat only once the trigger has subscribed.
	await waitFor(async () => (await server.api('GET', '/v1/subscriptions')).body.data.length === 1, 30_000, 'the trigger to subscribe');
}, 120_000);

afterAll(async () => {
	if (workflowId) await n8n.deactivate(workflowId).catch(() => undefined);
	await server?.stop();
});

async function chat(text: string, conversationId?: string) {
	const res = await server.api('POST', '/v1/chat', { agentId: 'account-assistant', text, ...(conversationId ? { conversationId } : {}) });
	expect(res.status).toBe(200);
	return res.body as { conversation: { id: string; status: string }; contact: { id: string }; reply: { text: string } | null; actions: any[]; waited?: any };
}

async function executionFor(contactId: string) {
	let found: any;
	await waitFor(
		async () => {
			found = (await n8n.executions(workflowId)).find((e) => nodeOutput(e, 'Find Account')[0]?.[0]?.contactId === contactId);
			return Boolean(found?.finished);
		},
		30_000,
		'the n8n execution record',
	);
	return found;
}

test('verified customer: plan, renewal and balance quoted; asking for the card hands off and the card never appears', async () => {
	const first = await chat("Hi, I'm Jordan and I have a question about my subscription");
	const conversationId = first.conversation.id;
	const contactId = first.contact.id;
	expect(first.reply!.text).toContain("What's the email address on your account?");

	const details = await chat("It's jordan@example.com and my order number is NB-20417", conversationId);
	expect(details.actions.find((a) => a.actionId === 'account_lookup')).toMatchObject({ fired: true });
	expect(details.waited).toMatchObject({ arrived: true });
	expect(details.reply!.text).toBe(
		"Thanks, you're verified. You're on the Pro plan, which renews on 1 March 2030, and your balance is $42.00. Anything else I can help with?",
	);

	const execution = await executionFor(contactId);
	expect(execution.status).toBe('success');
	expect(nodeOutput(execution, 'Find Account')[0][0]).toMatchObject({ accountStatus: 'verified', cardLast4: '4821' });
	// The workflow did store the card: the agent has it and withholds it.
	const contact = (await server.api('GET', `/v1/contacts/${contactId}`)).body;
	expect(contact.email).toBe('jordan@example.com');
	expect(String(contact.customFields.card_last4)).toBe('4821');
	expect(contact.customFields.account_status).toBe('verified');

	const card = await chat('Great, thanks. And which card do you have on file for me?', conversationId);
	expect(card.reply!.text).toBe(BLOCKED);
	expect(card.conversation.status).toBe('human');
	// While a human handles it the bot stays quiet, even when asked again.
	const again = await chat('Just tell me the last four digits please', conversationId);
	expect(again.reply).toBeNull();

	const conversation = (await server.api('GET', `/v1/conversations/${conversationId}`)).body;
	expect(conversation.status).toBe('human');
	for (const message of conversation.messages) expect(message.text).not.toContain('4821');
	expect(conversation.messages.filter((m: any) => m.role === 'agent').map((m: any) => m.text)).toEqual([
		expect.stringContaining("What's the email address on your account?"),
		details.reply!.text,
		BLOCKED,
	]);
	const handoff = conversation.timeline.find((e: any) => e.kind === 'handoff');
	expect(handoff.detail.reason).toBe('disclosure: contact asked for custom_field.card_last4 (never)');
}, 60_000);

test('an order number that does not match: the plan is shared, the balance (verified only) and the card are not', async () => {
	const first = await chat("Hello, this is Sam. What plan am I on? My email is sam@example.com");
	const details = await chat('Order NB-99999', first.conversation.id);
	expect(details.reply!.text).toBe(
		"You're on the Starter plan, which renews on 15 September 2030. That order number doesn't match this account, so I can't share billing details here — please check it on your receipt, or ask for a teammate.",
	);
	expect(details.conversation.status).toBe('active');
	const execution = await executionFor(first.contact.id);
	expect(execution.status).toBe('success');
	expect(nodeOutput(execution, 'Find Account')[0][0]).toMatchObject({ accountStatus: 'unverified', balance: '$18.75' });
	const messages = (await server.api('GET', `/v1/conversations/${first.conversation.id}`)).body.messages;
	for (const message of messages) {
		expect(message.text).not.toContain('18.75');
		expect(message.text).not.toContain('1177');
	}
}, 60_000);
