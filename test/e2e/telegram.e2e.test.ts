// The lead qualification chain on Telegram, end to end in a real n8n with n8n's own Telegram Trigger and Telegram
// nodes, their credential's Base URL pointed at a local Telegram Bot API: the documented telegram-agent.json and
// telegram-outgoing.json next to the Lead Scoring and Appointment Booked workflows.
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { nodeOutput, waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

const HOLDING = "Thanks Dana! I'm reviewing your details and will get back to you here in a moment.";
const HOT_REPLY = 'Great news! Let me connect you with a specialist. When works best for a quick call?';
const BOOKED = "You're booked, Dana! A specialist will call you at the time you chose; the invite is on its way.";
const DANA = { id: 510_000_001, firstName: 'Dana' };

let telegram: FakeTelegram;
const s = useScenario({
	workflows: ['telegram-agent.json', 'telegram-outgoing.json', 'lead-scoring.json', 'appointment-booked.json'],
	// The Telegram Trigger registers with Telegram, not with the agent server.
	subscriptions: 3,
	prepare: async (scenario) => {
		telegram = await startFakeTelegram();
		const credential = await scenario.n8n.createCredential('Telegram account', 'telegramApi', { accessToken: telegram.token, baseUrl: telegram.url });
		return { TELEGRAM_CREDENTIAL_ID: credential.id };
	},
	edit: (workflow, file) => {
		if (file !== 'telegram-agent.json') return;
		// The documented 20 s wait would hold the score's reply in this execution; without it the score arrives later,
		// through the Outgoing Message Trigger, as it does for any workflow slower than the wait limit.
		const agent = workflow.nodes.find((n) => n.name === 'Agent Bridge Agent')!;
		expect(agent.parameters.waitSeconds).toBe(20);
		agent.parameters = { ...agent.parameters, waitSeconds: 0 };
	},
});
afterAll(async () => telegram?.close());

const [agentWorkflow, outgoingWorkflow] = [0, 1];
const chatTexts = (chatId: number) => telegram.sentTo(chatId).map((m) => m.text);

const written: string[] = [];

// The offline engine reads each field within a time budget per message (50 ms); on a busy machine a field can be left
// for the next message, and the agent asks for it again. Dana then answers the question, as a contact would.
const ANSWERS: Array<[RegExp, string]> = [
	[/What can we help you with/, 'A new website'],
	[/budget/i, 'Our budget is $25,000'],
	[/when would you like to get started/i, 'Within 1 month'],
];
const isQuestion = (reply: string) => ANSWERS.some(([question]) => question.test(reply));
async function answerQuestions(reply: string): Promise<string> {
	for (let asked = 0; asked < 3 && isQuestion(reply); asked++) {
		[reply] = await write(DANA, ANSWERS.find(([question]) => question.test(reply))![1]);
	}
	return reply;
}

/** The contact writes; resolves once the bot has sent `replies` more messages to the chat. */
async function write(chat: typeof DANA, text: string, replies = 1): Promise<string[]> {
	if (chat === DANA) written.push(text);
	const before = telegram.sentTo(chat.id).length;
	expect(await telegram.userWrites(chat, text)).toBe(200);
	await waitFor(async () => telegram.sentTo(chat.id).length >= before + replies, 30_000, `${replies} message(s) to chat ${chat.id}`);
	return chatTexts(chat.id).slice(before);
}

async function contactOfChat(chatId: number) {
	const found = await s.server.api('GET', `/v1/contacts?channel=telegram&address=${chatId}`);
	expect(found.status).toBe(200);
	expect(found.body.data).toHaveLength(1);
	return found.body.data[0];
}

test('n8n registers the Telegram Trigger with the Bot API: its webhook URL, message updates and a secret token', async () => {
	await waitFor(async () => telegram.webhook() !== null, 30_000, 'the Telegram Trigger to set its webhook');
	const webhook = telegram.webhook()!;
	expect(webhook.url).toBe(`${s.instance.url}/webhook/3b0c1a52-6a1e-4c1f-8f3e-7a0d2e1c01ff/webhook`);
	expect(webhook.allowedUpdates).toEqual(['message']);
	expect(webhook.secretToken).toMatch(/^[A-Za-z0-9_-]+$/);
	expect(telegram.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['getWebhookInfo', 'setWebhook']));
}, 60_000);

test('the lead qualification chain on Telegram: replies, the late score and a workflow reply reach the same chat, and a returning contact continues the conversation', async () => {
	await waitFor(async () => telegram.webhook() !== null, 30_000, 'the Telegram Trigger to set its webhook');

	// First message: the Telegram Trigger brings it, the Agent node creates the contact with its Telegram identity.
	const [question] = await write(DANA, "Hi, I'm Dana and I need a new website for my bakery");
	expect(isQuestion(question)).toBe(true);
	const contact = await contactOfChat(DANA.id);
	expect(contact.firstName).toBe('Dana');

	// Budget and timeline fire Lead Scoring; the agent answers with its holding reply at once (wait limit 0) and the
	// score's reply follows through the Outgoing Message Trigger and the Telegram node.
	const [scoredReply] = await write(DANA, "Our budget is $25,000 and we'd like to launch within 1 month");
	expect(await answerQuestions(scoredReply)).toBe(HOLDING);
	await waitFor(async () => chatTexts(DANA.id).at(-1) === HOT_REPLY, 30_000, "the score's reply in the chat");
	expect(chatTexts(DANA.id).slice(-2)).toEqual([HOLDING, HOT_REPLY]);
	await waitFor(async () => (await s.contact(contact.id)).tags.includes('hot_lead'), 30_000, 'the hot_lead tag');

	// Booking: the agent's answer, then the Appointment Booked workflow's reply, in the same chat.
	const booking = await write(DANA, 'Tomorrow at 10am works, please book a call', 2);
	expect(booking[0]).toMatch(/^Perfect, Dana!/);
	expect(booking[1]).toBe(BOOKED);

	// Dana comes back later: the same contact and the same conversation.
	const [again] = await write(DANA, 'Hi again, is there anything else you need from me?');
	expect(again.length).toBeGreaterThan(0);
	expect((await contactOfChat(DANA.id)).id).toBe(contact.id);

	// Every message of the conversation is in the Telegram chat, in order, and nothing else was sent there.
	const listed = (await s.server.api('GET', '/v1/conversations?channel=telegram&limit=100')).body.data;
	const conversations = listed.filter((c: any) => c.contactId === contact.id);
	expect(conversations).toHaveLength(1);
	const conversation = await s.conversation(conversations[0].id);
	expect(conversation.channel).toBe('telegram');
	const agentTexts = conversation.messages.filter((m: any) => m.role === 'agent').map((m: any) => m.text);
	expect(chatTexts(DANA.id)).toEqual(agentTexts);
	expect(conversation.messages.filter((m: any) => m.role === 'contact').map((m: any) => m.text)).toEqual(written);
	expect(written[0]).toBe("Hi, I'm Dana and I need a new website for my bakery");
	expect(written.at(-1)).toBe('Hi again, is there anything else you need from me?');
	// Sent as the documented workflows say: to the chat, without n8n's attribution line.
	for (const message of telegram.sentTo(DANA.id)) {
		expect(String(message.params.chat_id)).toBe(String(DANA.id));
		expect(message.text).not.toMatch(/n8n/);
	}

	// The late score and the workflow reply went through the outgoing workflow, each once.
	const outgoing = await s.n8n.executions(s.workflowIds[outgoingWorkflow]);
	const delivered = outgoing.filter((e) => e.status === 'success').map((e) => nodeOutput(e, 'Outgoing Message Trigger')[0]?.[0]);
	expect(delivered.map((d) => d?.text).sort()).toEqual([BOOKED, HOT_REPLY].sort());
	for (const item of delivered) expect(item).toMatchObject({ channel: 'telegram', address: String(DANA.id), conversationId: conversation.id });

	// The outgoing workflow reported each of them delivered: on the message and on the timeline.
	const outgoingIds = conversation.messages.filter((m: any) => [BOOKED, HOT_REPLY].includes(m.text)).map((m: any) => m.id);
	await waitFor(
		async () => {
			const now = await s.conversation(conversation.id);
			return now.timeline.filter((e: any) => e.kind === 'message.delivery').length === 2;
		},
		30_000,
		'two delivery reports',
	);
	const reported = await s.conversation(conversation.id);
	const reports = reported.timeline.filter((e: any) => e.kind === 'message.delivery').map((e: any) => e.detail);
	expect(reports.map((r: any) => r.messageId).sort()).toEqual([...outgoingIds].sort());
	for (const r of reports) expect(r).toMatchObject({ status: 'delivered', channel: 'telegram' });
	for (const id of outgoingIds) expect(reported.messages.find((m: any) => m.id === id).delivery).toMatchObject({ status: 'delivered' });
}, 180_000);

test('after the conversation ends the same chat starts a new conversation of the same contact; a human takes over with markdown Telegram shows, and the bot stays quiet', async () => {
	const contact = await contactOfChat(DANA.id);
	const listed = (await s.server.api('GET', '/v1/conversations?channel=telegram&limit=100')).body.data.filter((c: any) => c.contactId === contact.id);
	expect(listed).toHaveLength(1);
	await s.end(listed[0].id);

	const [welcome] = await write(DANA, 'Hello again, I have a new project');
	expect(welcome.length).toBeGreaterThan(0);
	const now = (await s.server.api('GET', '/v1/conversations?channel=telegram&limit=100')).body.data.filter((c: any) => c.contactId === contact.id);
	expect(now).toHaveLength(2);
	const fresh = now.find((c: any) => c.id !== listed[0].id);
	expect(fresh.status).toBe('active');
	expect((await contactOfChat(DANA.id)).id).toBe(contact.id);

	// A human answers from the inbox: Telegram's markdown, the snake_case name escaped so Telegram takes it.
	await s.server.api('POST', `/v1/conversations/${fresh.id}/handoff`, {});
	const human = await s.server.api('POST', `/v1/conversations/${fresh.id}/human-replies`, { text: 'Your **quote** is ready: see price_list.pdf', author: 'Ana' });
	expect(human.status).toBe(201);
	// (Dana's stored budget and timeline fire Lead Scoring again in the new conversation: its reply may come around now.)
	const humanSent = () => telegram.sentTo(DANA.id).find((m) => m.shown === 'Your quote is ready: see price_list.pdf');
	await waitFor(async () => humanSent() !== undefined, 30_000, "the human's reply in the chat");
	const sent = humanSent()!;
	expect(sent.text).toBe('Your *quote* is ready: see price\\_list.pdf');
	expect(sent.params.parse_mode).toBe('Markdown');

	// Every outgoing message of the conversation has been reported, so nothing is still on its way to the chat.
	await waitFor(
		async () => {
			const timeline = (await s.conversation(fresh.id)).timeline;
			const outgoing = timeline.filter((e: any) => e.detail.outgoingEventId).length;
			return outgoing > 0 && timeline.filter((e: any) => e.kind === 'message.delivery').length === outgoing;
		},
		30_000,
		'the delivery reports of the outgoing messages',
	);
	// While the human handles it, Dana's message reaches the conversation and the bot sends nothing.
	const before = telegram.sentTo(DANA.id).length;
	const runsBefore = (await s.n8n.executions(s.workflowIds[agentWorkflow])).length;
	expect(await telegram.userWrites(DANA, 'Thanks Ana!')).toBe(200);
	let run: any;
	await waitFor(
		async () => {
			const runs = await s.n8n.executions(s.workflowIds[agentWorkflow]);
			run = runs.length > runsBefore ? runs.find((e) => e.finished && nodeOutput(e, 'Agent Bridge Agent')[0]?.[0]?.handledByHuman) : undefined;
			return run !== undefined;
		},
		30_000,
		'the run of the quiet message',
	);
	expect(nodeOutput(run, 'Agent Bridge Agent')[0][0]).toMatchObject({ reply: '', conversationId: fresh.id, handledByHuman: true });
	expect(nodeOutput(run, 'Send Reply')).toEqual([]);
	expect(telegram.sentTo(DANA.id)).toHaveLength(before);
	expect((await s.conversation(fresh.id)).messages.at(-1)).toMatchObject({ role: 'contact', text: 'Thanks Ana!' });
}, 120_000);

test("a message Telegram refuses (a chat that never wrote to the bot) is reported failed with Telegram's reason", async () => {
	const created = await s.server.api('POST', '/v1/contacts', { firstName: 'Max' });
	expect(created.status).toBe(201);
	const contactId = created.body.id;
	expect((await s.server.api('POST', `/v1/contacts/${contactId}/identities`, { channel: 'telegram', address: '510000099' })).status).toBe(201);
	const started = await s.server.api('POST', '/v1/conversations', { agentId: 'lead-qualifier', contactId, channel: 'telegram', text: 'Hi Max, are you still looking for a website?' });
	expect(started.status).toBe(201);
	const conversationId = started.body.conversation.id;

	let entry: any;
	await waitFor(
		async () => {
			entry = (await s.conversation(conversationId)).timeline.find((e: any) => e.kind === 'message.delivery');
			return entry !== undefined;
		},
		30_000,
		'the failed delivery report',
	);
	expect(entry.detail).toMatchObject({ status: 'failed', channel: 'telegram' });
	expect(entry.detail.reason).toMatch(/chat not found/);
	expect(telegram.sentTo(510000099)).toEqual([]);
	const message = (await s.conversation(conversationId)).messages.find((m: any) => m.id === entry.detail.messageId);
	expect(message).toMatchObject({ text: 'Hi Max, are you still looking for a website?', delivery: { status: 'failed' } });
}, 60_000);

test('a second Telegram chat is a different contact with its own conversation', async () => {
	const lee = { id: 510_000_002, firstName: 'Lee' };
	const [question] = await write(lee, 'Hello, I want an app for my shop');
	expect(question).toMatch(/budget/i);
	const [dana, other] = [await contactOfChat(DANA.id), await contactOfChat(lee.id)];
	expect(other.id).not.toBe(dana.id);
	expect(other.firstName).toBe('Lee');
}, 60_000);

test('an update without the secret token n8n gave Telegram is refused with 403 and starts nothing', async () => {
	const executions = async () => (await s.n8n.executions(s.workflowIds[agentWorkflow])).length;
	await waitFor(async () => (await s.n8n.executions(s.workflowIds[agentWorkflow])).every((e) => e.finished), 30_000, 'earlier runs');
	const before = await executions();
	const update = { update_id: 1, message: { message_id: 1, from: { id: 9, is_bot: false, first_name: 'Eve' }, chat: { id: 9, type: 'private', first_name: 'Eve' }, date: 0, text: 'hi' } };
	expect(await telegram.postUpdate(update)).toBe(403);
	expect(await telegram.postUpdate(update, { 'X-Telegram-Bot-Api-Secret-Token': 'not-the-secret' })).toBe(403);
	await new Promise((r) => setTimeout(r, 1000));
	expect(await executions()).toBe(before);
	expect((await s.server.api('GET', '/v1/contacts?channel=telegram&address=9')).body.data).toEqual([]);
}, 60_000);

test('deactivating the workflow deletes the webhook at Telegram', async () => {
	await s.n8n.deactivate(s.workflowIds[agentWorkflow]);
	await waitFor(async () => telegram.webhook() === null, 15_000, 'deleteWebhook');
	expect(telegram.calls.at(-1)?.method).toBe('deleteWebhook');
}, 30_000);
