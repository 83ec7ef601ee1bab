// The Slack recipe's way in, in a real n8n: Slack events signed with the app's signing secret reach n8n's own Slack
// Trigger (docs/workflows/slack-agent.json), a person's direct message reaches the agent by the identity slack + user ID,
// and the bot's own messages, other channels and unsigned requests do not. The Slack node calls Slack's fixed API host
// (https://slack.com/api; its credential has no base URL), so here the reply node is disabled and the reply is read
// from the Agent Bridge Agent node's output.
import { createHmac } from 'node:crypto';
import { nodeOutput, waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

const SIGNING_SECRET = 'slack-signing-secret-for-tests';
const WEBHOOK_ID = '9c5a7d30-4e6f-4a81-a000-000000000099';

const s = useScenario({
	workflows: ['slack-agent.json'],
	// The Slack Trigger has no remote subscription (the URL is set in the Slack app), so the agent server sees none.
	subscriptions: 0,
	prepare: async (scenario) => {
		const credential = await scenario.n8n.createCredential('Slack account', 'slackApi', { accessToken: 'xoxb-test-token', signatureSecret: SIGNING_SECRET });
		return { SLACK_CREDENTIAL_ID: credential.id };
	},
	edit: (workflow) => {
		const send = workflow.nodes.find((n) => n.name === 'Send Reply')!;
		expect(send.type).toBe('n8n-nodes-base.slack');
		send.disabled = true;
	},
});

let eventCount = 0;
/** Posts a Slack Events API callback the way Slack signs it (v0 HMAC-SHA256 of `v0:timestamp:body`). */
async function postEvent(event: Record<string, unknown>, sign: 'valid' | 'wrong' | 'none' = 'valid'): Promise<number> {
	const body = JSON.stringify({ token: 'legacy', team_id: 'T0TEST', api_app_id: 'A0TEST', event, type: 'event_callback', event_id: `Ev0TEST${++eventCount}`, event_time: Math.floor(Date.now() / 1000) });
	const timestamp = String(Math.floor(Date.now() / 1000));
	const secret = sign === 'wrong' ? 'not-the-secret' : SIGNING_SECRET;
	const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
	const headers: Record<string, string> = { 'content-type': 'application/json', ...(sign === 'none' ? {} : { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature }) };
	const res = await fetch(`${s.instance.url}/webhook/${WEBHOOK_ID}/webhook`, { method: 'POST', headers, body });
	await res.arrayBuffer();
	return res.status;
}

const dm = (user: string, text: string, extra: Record<string, unknown> = {}) => ({
	type: 'message',
	channel: 'D0TEST',
	channel_type: 'im',
	user,
	text,
	ts: `${Date.now() / 1000}`,
	...extra,
});

// n8n 2.x activates in the background: the webhook answers 404 until it is live, 401 to an unsigned request after.
beforeAll(async () => {
	await waitFor(async () => (await postEvent(dm('U0PROBE1', 'probe'), 'none')) === 401, 30_000, 'the Slack Trigger webhook');
}, 60_000);

async function runs() {
	return (await s.n8n.executions(s.workflowIds[0])).filter((e) => e.finished);
}

test("a person's direct message reaches the agent by their Slack user ID, and the reply is the Agent node's output", async () => {
	expect(await postEvent(dm('U0DANA01', 'Hi, I need a new website for my bakery'))).toBe(200);
	let run: any;
	await waitFor(
		async () => {
			run = (await runs()).find((e) => nodeOutput(e, 'Agent Bridge Agent')[0]?.[0]);
			return run !== undefined;
		},
		30_000,
		'the run that reached the agent',
	);
	const answer = nodeOutput(run, 'Agent Bridge Agent')[0][0];
	expect(answer).toMatchObject({ channel: 'slack', handledByHuman: false });
	expect(answer.reply.length).toBeGreaterThan(0);
	const found = (await s.server.api('GET', '/v1/contacts?channel=slack&address=U0DANA01')).body.data;
	expect(found).toHaveLength(1);
	expect(found[0].id).toBe(answer.contactId);
	const conversation = await s.conversation(answer.conversationId);
	expect(conversation.messages.map((m: any) => m.text)).toEqual(['Hi, I need a new website for my bakery', answer.reply]);
	// The (disabled) reply node got the reply to send to the same user.
	expect(nodeOutput(run, 'Send Reply')[0][0].reply).toBe(answer.reply);
}, 60_000);

test("the bot's own messages, edits and channel messages start no conversation", async () => {
	const before = (await runs()).length;
	const ignored = [
		dm('U0BOT001', 'Here is what I found', { bot_id: 'B0TEST' }),
		dm('U0EDIT01', 'edited', { subtype: 'message_changed' }),
		dm('U0CHAN01', 'hello channel', { channel: 'C0TEST', channel_type: 'channel' }),
	];
	for (const event of ignored) expect(await postEvent(event)).toBe(200);
	await waitFor(async () => (await runs()).length >= before + ignored.length, 30_000, 'the three runs');
	for (const run of (await runs()).slice(0, ignored.length)) expect(nodeOutput(run, 'Agent Bridge Agent')).toEqual([]);
	for (const user of ['U0BOT001', 'U0EDIT01', 'U0CHAN01']) {
		expect((await s.server.api('GET', `/v1/contacts?channel=slack&address=${user}`)).body.data).toEqual([]);
	}
}, 60_000);

test('an event without a valid signature of the signing secret is refused with 401 and starts nothing', async () => {
	const before = (await runs()).length;
	expect(await postEvent(dm('U0EVE001', 'hi'), 'wrong')).toBe(401);
	expect(await postEvent(dm('U0EVE001', 'hi'), 'none')).toBe(401);
	await new Promise((r) => setTimeout(r, 1000));
	expect((await runs()).length).toBe(before);
	expect((await s.server.api('GET', '/v1/contacts?channel=slack&address=U0EVE001')).body.data).toEqual([]);
}, 30_000);
