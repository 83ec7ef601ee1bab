// Seed scenario 4, the account lookup with disclosure: the account-assistant agent collects the account email and an
// order number, the Account Lookup workflow in a real n8n writes the plan, renewal date, balance and card (last four)
// to the contact, and the agent shares only what its disclosure rules allow; asking for the card brings in a human.
import { nodeOutput } from './support/n8n';
import { useScenario } from './support/scenario';

const BLOCKED = "I can't share payment card details in chat — I'm bringing in a member of our billing team who can help you with that here.";

const s = useScenario({ workflows: ['account-lookup.json'], credentialName: 'Agent Bridge API (accounts)' });
const chat = (text: string, conversationId?: string) => s.chat('account-assistant', text, conversationId);
const executionFor = (contactId: string) => s.executionFor(s.workflowIds[0], 'Find Account', { contactId });

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
	const contact = await s.contact(contactId);
	expect(contact.email).toBe('jordan@example.com');
	expect(String(contact.customFields.card_last4)).toBe('4821');
	expect(contact.customFields.account_status).toBe('verified');

	const card = await chat('Great, thanks. And which card do you have on file for me?', conversationId);
	expect(card.reply!.text).toBe(BLOCKED);
	expect(card.conversation.status).toBe('human');
	// While a human handles it the bot stays quiet, even when asked again.
	const again = await chat('Just tell me the last four digits please', conversationId);
	expect(again.reply).toBeNull();

	const conversation = await s.conversation(conversationId);
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
	const messages = (await s.conversation(first.conversation.id)).messages;
	for (const message of messages) {
		expect(message.text).not.toContain('18.75');
		expect(message.text).not.toContain('1177');
	}
}, 60_000);

test("a returning contact's first message runs the lookup on the stored email and order, and the contact stays verified", async () => {
	const first = await chat("Hi, I'm Jordan. My email is jordan@example.com and my order number is NB-20988");
	expect(first.actions.find((a) => a.actionId === 'account_lookup')).toMatchObject({ fired: true });
	expect((await s.contact(first.contact.id)).customFields.account_status).toBe('verified');
	await s.end(first.conversation.id);

	// Days later, a new conversation with the same contact: the stored email and order satisfy the condition at once.
	const res = await s.server.api('POST', '/v1/chat', { agentId: 'account-assistant', contactId: first.contact.id, text: 'Hi, me again' });
	expect(res.status).toBe(200);
	const again = res.body;
	const lookup = again.actions.find((a: any) => a.actionId === 'account_lookup');
	expect(lookup).toMatchObject({ fired: true });
	// The event carried the stored values that satisfied the condition, and the workflow wrote its result after it fired.
	const fired = (await s.conversation(again.conversation.id)).timeline.find((e: any) => e.kind === 'action.fired' && e.detail.actionId === 'account_lookup');
	expect(fired.detail.fields).toMatchObject({ email: 'jordan@example.com', order_number: expect.stringContaining('20988') });
	expect(again.waited).toMatchObject({ arrived: true });
	const contact = await s.contact(first.contact.id);
	expect(contact.customFields.account_status).toBe('verified');
	expect(contact.customFields.plan).toBe('Pro');
}, 60_000);
