// Seed scenario 3, the calendar round trip: the appointment-scheduler agent asks for a preferred date and time, the
// Check Availability workflow in a real n8n writes three free slots back, the agent offers them, the contact picks
// one, and the Confirm Slot workflow books it (booked_slot, tag appointment_booked) before the agent confirms.
import { nodeOutput } from './support/n8n';
import { useScenario } from './support/scenario';

const SLOTS = ['Wed 12 Jun 2030 at 10:00', 'Wed 12 Jun 2030 at 11:00', 'Thu 13 Jun 2030 at 10:00'];

const s = useScenario({ workflows: ['check-availability.json', 'confirm-slot.json'], credentialName: 'Agent Bridge API (calendar)' });
const chat = (text: string, conversationId?: string) => s.chat('appointment-scheduler', text, conversationId);

test('date and time → three slots offered → the contact picks 2 → booked, tagged and confirmed', async () => {
	const first = await chat("Hi, I'm Maya and I'd like to book a consultation");
	const conversationId = first.conversation.id;
	const contactId = first.contact.id;
	expect(first.reply!.text).toContain('Which date would suit you?');

	const offered = await chat('June 12, 2030 around 10am would be ideal', conversationId);
	expect(offered.actions.find((a) => a.actionId === 'check_availability')).toMatchObject({ fired: true });
	expect(offered.waited).toMatchObject({ arrived: true });
	expect(offered.reply!.text).toBe(`Here's what I have: 1) ${SLOTS[0]}; 2) ${SLOTS[1]}; 3) ${SLOTS[2]}. Which one works for you — 1, 2 or 3?`);

	const check = await s.executionFor(s.workflowIds[0], 'Find Free Slots', { contactId });
	expect(check.status).toBe('success');
	expect(nodeOutput(check, 'Find Free Slots')[0][0]).toMatchObject({ requestedDate: '2030-06-12', requestedHour: 10, slots: SLOTS });

	const booked = await chat('Option 2 please', conversationId);
	expect(booked.actions.find((a) => a.actionId === 'book_slot')).toMatchObject({ fired: true });
	expect(booked.reply!.text).toBe(`You're booked for ${SLOTS[1]}. See you then — the invite is on its way!`);

	const confirm = await s.executionFor(s.workflowIds[1], 'Pick Slot', { contactId });
	expect(confirm.status).toBe('success');
	expect(nodeOutput(confirm, 'Pick Slot')[0][0]).toMatchObject({ choice: 2, bookedSlot: SLOTS[1] });

	const contact = await s.contact(contactId);
	expect(contact.tags).toContain('appointment_booked');
	expect(contact.customFields).toMatchObject({
		preferred_date: 'June 12, 2030',
		preferred_time: '10am',
		slot_choice: '2',
		slot_1: SLOTS[0],
		slot_2: SLOTS[1],
		slot_3: SLOTS[2],
		booked_slot: SLOTS[1],
	});

	const conversation = await s.conversation(conversationId);
	expect(conversation.messages.map((m: any) => `${m.role}: ${m.text}`)).toEqual([
		"contact: Hi, I'm Maya and I'd like to book a consultation",
		expect.stringMatching(/^agent: Hi Maya! .*Which date would suit you\?/),
		'contact: June 12, 2030 around 10am would be ideal',
		`agent: ${offered.reply!.text}`,
		'contact: Option 2 please',
		`agent: ${booked.reply!.text}`,
	]);
	const timeline = conversation.timeline.map((e: any) => e.kind);
	expect(timeline.filter((k: string) => k === 'wait.fulfilled')).toHaveLength(2);
}, 60_000);

test('a weekend request is moved to the next weekday, and a time answer is not taken for a slot number', async () => {
	const first = await chat('Can I schedule a meeting on 15th June 2030?');
	const conversationId = first.conversation.id;
	expect(first.reply!.text).toContain('what time of day works best');

	const offered = await chat('In the afternoon', conversationId);
	// 15 June 2030 is a Saturday: Monday 17 June, nearest free hours to 14:00, then Tuesday.
	expect(offered.reply!.text).toBe(
		"Here's what I have: 1) Mon 17 Jun 2030 at 14:00; 2) Mon 17 Jun 2030 at 15:00; 3) Tue 18 Jun 2030 at 14:00. Which one works for you — 1, 2 or 3?",
	);

	const unclear = await chat('Hmm, 2pm I guess', conversationId);
	expect(unclear.actions.find((a) => a.actionId === 'book_slot')).toMatchObject({ fired: false });
	expect(unclear.reply!.text).toBe('Which of the slots I offered works for you — 1, 2 or 3?');

	const booked = await chat('Ok, number 2', conversationId);
	expect(booked.reply!.text).toBe("You're booked for Mon 17 Jun 2030 at 15:00. See you then — the invite is on its way!");
	expect((await s.contact(first.contact.id)).tags).toContain('appointment_booked');
}, 60_000);
