// How a text to the contact looks on each channel: plain text on SMS, markdown kept on Telegram, WhatsApp and Slack,
// cut to the channel's length at a word with "…"; other channels get it as it is.
import fc from 'fast-check';
import { CHANNEL_RULES, cut, formatForChannel } from './channels';

const MARKDOWN = 'Hi **Dana**! See [our plans](https://example.com/plans) and reply with `yes`.\n# Next\n* one _step_ at a time';

test('SMS gets plain text: no emphasis marks, links as text and address, no heading marks, bullets as "- "', () => {
	expect(formatForChannel(MARKDOWN, 'sms')).toEqual({
		text: 'Hi Dana! See our plans (https://example.com/plans) and reply with yes.\nNext\n- one step at a time',
		changes: ['markdown removed'],
	});
});

test('WhatsApp and Slack keep markdown; web, api, email and unknown channels get the text as it is', () => {
	for (const channel of ['whatsapp', 'slack', 'web', 'api', 'email', 'discord']) {
		expect(formatForChannel(MARKDOWN, channel)).toEqual({ text: MARKDOWN, changes: [] });
	}
});

test("Telegram gets its own markdown: **bold** as *bold*, entities kept, every mark that would not close escaped", () => {
	expect(formatForChannel(MARKDOWN, 'telegram')).toEqual({
		text: 'Hi *Dana*! See [our plans](https://example.com/plans) and reply with `yes`.\n# Next\n\\* one _step_ at a time',
		changes: ["markdown in Telegram's form"],
	});
	const cases: Array<[string, string]> = [
		['Your lead_score is 8', 'Your lead\\_score is 8'],
		['Write to dana_b@example.com', 'Write to dana\\_b@example.com'],
		['It costs $5 * 3 = $15', 'It costs $5 \\* 3 = $15'],
		['A _real_ plan and a `code` span', 'A _real_ plan and a `code` span'],
		['An [unclosed bracket and `tick', 'An \\[unclosed bracket and \\`tick'],
		['Already \\_escaped\\_', 'Already \\_escaped\\_'],
		['__Note__: bring *2* items', '_Note_: bring *2* items'],
		['Plain text stays', 'Plain text stays'],
	];
	for (const [given, sent] of cases) expect(formatForChannel(given, 'telegram').text).toBe(sent);
});

test('plain text, snake_case names, prices and lone asterisks are left alone on SMS', () => {
	for (const text of ['Your lead_score is 8', 'It costs $5 * 3 = $15', 'Call 555-0100 at 10am', 'email me at dana_b@example.com']) {
		expect(formatForChannel(text, 'sms')).toEqual({ text, changes: [] });
	}
});

test('a text over the channel limit is cut at the last word that fits and ends with "…"', () => {
	const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
	const sms = formatForChannel(words, 'sms');
	expect([...sms.text].length).toBeLessThanOrEqual(1600);
	expect(sms.text.endsWith('…')).toBe(true);
	expect(words.startsWith(sms.text.slice(0, -1))).toBe(true);
	expect(words[sms.text.length - 1]).toBe(' ');
	expect(sms.changes).toEqual([`cut from ${words.length} to 1600 characters`]);
	expect([...formatForChannel('x'.repeat(5000), 'telegram').text]).toHaveLength(4096);
	expect(formatForChannel('x'.repeat(5000), 'telegram').changes).toEqual(['cut from 5000 to 4096 characters']);
	expect([...formatForChannel('x'.repeat(5000), 'slack').text]).toHaveLength(4000);
	expect(formatForChannel('x'.repeat(5000), 'web').text).toHaveLength(5000);
	expect(cut('short', 10)).toBe('short');
});

test('the limit counts characters, not UTF-16 units: emoji are not split', () => {
	const text = '😀'.repeat(2000);
	const out = formatForChannel(text, 'sms').text;
	expect([...out]).toHaveLength(1600);
	expect(out.endsWith('😀…')).toBe(true);
});

test('every channel rule holds for any text: within the limit, and a text within it is unchanged on markdown channels', () => {
	fc.assert(
		fc.property(fc.string({ maxLength: 6000, unit: 'grapheme-composite' }), fc.constantFrom(...Object.keys(CHANNEL_RULES)), (text, channel) => {
			const out = formatForChannel(text, channel);
			expect([...out.text].length).toBeLessThanOrEqual(CHANNEL_RULES[channel].maxChars);
			if (CHANNEL_RULES[channel].markdown === 'keep' && [...text].length <= CHANNEL_RULES[channel].maxChars) expect(out.text).toBe(text);
		}),
		{ numRuns: 200 },
	);
});
