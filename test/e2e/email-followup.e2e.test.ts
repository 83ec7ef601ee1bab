// Email through n8n's own Send Email node against a local SMTP server: the documented post-conversation follow-up
// (email-followup.json) and the email channel's outgoing messages with their delivery reports (email-outgoing.json).
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { nodeOutput, waitFor } from './support/n8n';
import { useScenario } from './support/scenario';

let smtp: SmtpSink;
const s = useScenario({
	workflows: ['email-followup.json', 'email-outgoing.json'],
	prepare: async (scenario) => {
		smtp = await startSmtpSink();
		const credential = await scenario.n8n.createCredential('SMTP account', 'smtp', {
			user: smtp.user,
			password: smtp.password,
			host: smtp.host,
			port: smtp.port,
			secure: false,
			disableStartTls: true,
		});
		return { SMTP_CREDENTIAL_ID: credential.id };
	},
});
afterAll(async () => smtp?.close());
const [followupWorkflow] = [0];

const mailTo = (address: string) => smtp.received.filter((m) => m.rcptTo.includes(address));
async function waitForMail(address: string, count = 1) {
	await waitFor(async () => mailTo(address).length >= count, 30_000, `${count} mail(s) to ${address}`);
	return mailTo(address);
}

test('an ended conversation sends the contact a follow-up email with its summary through the Send Email node', async () => {
	// The contact's name and address as a channel gives them (the Agent node's contact fields).
	const first = (await s.server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'I need a new website for my bakery', contact: { firstName: 'Dana', email: 'dana@example.com' } })).body;
	await s.chat('lead-qualifier', "Our budget is $25,000 and we'd like to launch within 1 month", first.conversation.id);
	const ending = await s.end(first.conversation.id);

	const [mail] = await waitForMail('dana@example.com');
	expect(mail.user).toBe(smtp.user); // n8n logged in with the SMTP credential
	expect(mail.rcptTo).toEqual(['dana@example.com']);
	expect(mail.parsed.from?.value).toEqual([{ address: 'hello@example.com', name: 'Lead Qualifier' }]);
	expect(mail.parsed.subject).toBe('Your project with us, Dana');
	expect(mail.parsed.replyTo?.value[0].address).toBe('hello@example.com');
	const body = mail.parsed.text ?? '';
	expect(ending.summary.length).toBeGreaterThan(10);
	expect(body.trimEnd()).toBe(
		`Hi Dana,\n\nthanks for telling us about your project. Here is what we noted:\n\n${ending.summary}\n\n` +
			'A specialist can walk you through the next steps on a free call: https://example.com/book\n\nThe Lead Qualifier team',
	);
	expect(body).not.toMatch(/n8n/);
	expect(mail.parsed.html).toBe(false); // text format, as the workflow says

	const executions = await s.n8n.executions(s.workflowIds[followupWorkflow]);
	const run = executions.find((e) => nodeOutput(e, 'Conversation Ended')[0]?.[0]?.conversationId === first.conversation.id)!;
	expect(run.status).toBe('success');
	expect(nodeOutput(run, 'Send Follow-up Email')[0][0].accepted).toEqual(['dana@example.com']);
}, 90_000);

test('a contact without an email address gets no mail: the If node stops the follow-up', async () => {
	const before = smtp.received.length;
	const first = await s.chat('lead-qualifier', 'Hello there');
	await s.end(first.conversation.id);
	let run: any;
	await waitFor(
		async () => {
			run = (await s.n8n.executions(s.workflowIds[followupWorkflow])).find(
				(e) => e.finished && nodeOutput(e, 'Conversation Ended')[0]?.[0]?.conversationId === first.conversation.id,
			);
			return run !== undefined;
		},
		30_000,
		'the follow-up run',
	);
	expect(nodeOutput(run, 'Send Follow-up Email')).toEqual([]);
	expect(smtp.received.length).toBe(before);
}, 60_000);

test('on the email channel a workflow reply goes out through Send Email and is reported delivered', async () => {
	const chat = (await s.server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'I need a new logo for my shop', identity: { channel: 'email', address: 'lee@example.com' } })).body;
	expect(chat.conversation.channel).toBe('email');
	const reply = await s.server.api('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: 'Here is our branding brochure: https://example.com/branding' });
	expect(reply.status).toBe(200);

	const [mail] = await waitForMail('lee@example.com');
	expect(mail.parsed.subject).toBe('Re: your message to Lead Qualifier');
	expect(mail.parsed.text?.trimEnd()).toBe('Here is our branding brochure: https://example.com/branding');

	let message: any;
	await waitFor(
		async () => {
			message = (await s.conversation(chat.conversation.id)).messages.find((m: any) => m.id === reply.body.message.id);
			return message.delivery !== undefined;
		},
		30_000,
		'the delivery report',
	);
	expect(message.delivery).toMatchObject({ status: 'delivered', reason: null });
}, 60_000);

test('a recipient the SMTP server refuses is reported failed with its answer', async () => {
	const chat = (await s.server.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text: 'Do you build apps?', identity: { channel: 'email', address: 'ghost@unknown.example.com' } })).body;
	const reply = await s.server.api('POST', `/v1/conversations/${chat.conversation.id}/replies`, { text: 'Yes, we do. When would you like to start?' });
	let entry: any;
	await waitFor(
		async () => {
			entry = (await s.conversation(chat.conversation.id)).timeline.find((e: any) => e.kind === 'message.delivery');
			return entry !== undefined;
		},
		30_000,
		'the failed delivery report',
	);
	expect(entry.detail).toMatchObject({ messageId: reply.body.message.id, status: 'failed', channel: 'email' });
	expect(entry.detail.reason).toMatch(/550|Recipient address rejected/);
	expect(mailTo('ghost@unknown.example.com')).toEqual([]);
}, 60_000);
