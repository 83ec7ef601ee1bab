// The conversation test file (`*.test.yaml`): conversations a contact has with an agent, what simulated workflows do
// when an event fires, and what must hold after each turn. One zod schema; the editor's JSON Schema is made from it.
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** A test file's name: beside the agent files, which the agent loader skips. */
export const TEST_FILE = /\.test\.ya?ml$/i;

const name = z.string().min(1).max(200);
const customFields = z.record(z.string().min(1).max(100), z.union([z.string(), z.number(), z.boolean(), z.null()]));
const tagList = z.array(z.string().min(1).max(100)).max(100);

/** A contact as the API writes it (POST /v1/contacts, PATCH /v1/contacts/:id, the n8n Contact node). */
const contactFields = {
	firstName: z.string().max(200).nullable().optional(),
	lastName: z.string().max(200).nullable().optional(),
	email: z.string().max(320).nullable().optional(),
	phone: z.string().max(50).nullable().optional(),
	customFields: customFields.optional(),
};

const validRegExp = (re: string) => {
	try {
		new RegExp(re);
		return true;
	} catch {
		return false;
	}
};

const text = z.union([
	z.string().describe('the whole text, exactly'),
	z
		.strictObject({
			equals: z.string().optional().describe('the whole text, exactly'),
			contains: z.union([z.string(), z.array(z.string())]).optional().describe('a part (or every part of a list) of the text'),
			matches: z
				.string()
				.optional()
				.refine((re) => re === undefined || validRegExp(re), 'is not a valid regular expression')
				.describe('a regular expression (JavaScript syntax)'),
			flags: z.string().regex(/^[imsu]*$/).optional().describe('regular expression flags for matches, e.g. i'),
			notContains: z.union([z.string(), z.array(z.string())]).optional().describe('text that must not appear'),
		})
		.refine((t) => Object.keys(t).some((k) => k !== 'flags'), 'give equals, contains, matches or notContains'),
]);
export type TextCheck = z.infer<typeof text>;

export const Expectation = z
	.strictObject({
		reply: text.nullable().optional().describe("the agent's direct answer to this turn; null: no answer (a human handles it)"),
		messages: z
			.array(text)
			.optional()
			.describe('messages that came after the direct answer, before the next turn (late results, workflow replies): each check matches one of them'),
		collected: z.record(z.string(), z.union([z.string(), z.null()])).optional().describe('values the agent collected (null: not collected)'),
		contact: z.strictObject(contactFields).optional().describe("the contact's fields now (only those named; null: empty)"),
		tags: z
			.union([tagList, z.strictObject({ has: tagList.optional(), lacks: tagList.optional() })])
			.optional()
			.describe('tags the contact has (a list), or has and lacks'),
		fired: z.array(name).optional().describe('Trigger Workflow actions that fired in this turn'),
		notFired: z
			.union([z.array(name), z.record(name, z.string())])
			.optional()
			.describe('actions that did not fire in this turn; as a map, with a part of the reason (e.g. "waiting for field budget")'),
		status: z.enum(['active', 'handoff', 'ended']).optional().describe('handoff: a human handles the conversation'),
		outcome: z.string().optional().describe('the outcome of the ended conversation (booked, interested, browsing, negative, ...)'),
		nothingWithheldDisclosed: z
			.literal(true)
			.optional()
			.describe("no message so far shows the value of a field the agent's disclosure rules withhold from this contact"),
		timeline: z.array(z.string().min(1)).optional().describe('timeline entries of these kinds were written in this turn (e.g. loop.blocked)'),
	})
	.describe('what must hold after the turn (and the workflows it started) settled');
export type Expectation = z.infer<typeof Expectation>;

export const Trigger = z
	.strictObject({
		action: name.optional().describe('a Trigger Workflow action fired (its id)'),
		tagAdded: name.optional().describe('this tag was added to the contact'),
		ended: z.literal(true).optional().describe('the conversation ended'),
		outcome: z.string().optional().describe('with ended: only an ending with this outcome'),
	})
	.refine((t) => [t.action, t.tagAdded, t.ended].filter((x) => x !== undefined).length === 1, 'give one of action, tagAdded or ended')
	.refine((t) => t.outcome === undefined || t.ended, 'outcome goes with ended');

export const SimulatedWorkflow = z
	.strictObject({
		name: z.string().max(200).optional(),
		on: Trigger,
		afterMs: z.number().int().min(0).max(600_000).default(0).describe('how long the workflow takes before it writes back'),
		write: z.strictObject(contactFields).optional().describe('contact fields it writes (as the Contact node, Update)'),
		removeTags: tagList.optional().describe('tags it removes (before it adds any)'),
		tags: tagList.optional().describe('tags it adds'),
		reply: z.string().min(1).max(4000).optional().describe('a message it sends into the conversation (Reply to Conversation; merge fields work)'),
		never: z.literal(true).optional().describe('the workflow receives the event and never answers'),
	})
	.refine((w) => !(w.never && (w.write || w.tags || w.removeTags || w.reply)), 'a workflow that never answers writes nothing');
export type SimulatedWorkflow = z.infer<typeof SimulatedWorkflow>;

export const Turn = z
	.strictObject({
		say: z.string().min(1).max(4000).optional().describe("the contact's message"),
		end: z
			.strictObject({ outcome: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be an outcome name such as booked').optional() })
			.optional()
			.describe('instead of a message: the channel closes the conversation'),
		expect: Expectation.optional(),
	})
	.refine((t) => (t.say === undefined) !== (t.end === undefined), 'give say (a message) or end, one of them');

export type Turn = z.infer<typeof Turn>;

export const Conversation = z.strictObject({
	name: name.describe('what the conversation proves, as a sentence'),
	agent: name.optional().describe("the agent's id (default: the file's agent)"),
	channel: z.string().min(1).max(50).regex(/^[a-z0-9_-]+$/i).optional(),
	contact: z.strictObject({ ...contactFields, tags: tagList.optional() }).optional().describe('the contact as it starts'),
	workflows: z.array(SimulatedWorkflow).optional().describe('simulated workflows for this conversation, before the file-wide ones'),
	turns: z.array(Turn).min(1).max(200),
});
export type Conversation = z.infer<typeof Conversation>;

export const TestFile = z
	.strictObject({
		agent: name.optional().describe('the agent every conversation talks to unless it names another'),
		workflows: z.array(SimulatedWorkflow).optional().describe('what a workflow does when its event fires; an event with no workflow here is left unanswered'),
		conversations: z.array(Conversation).min(1).max(500),
	})
	.superRefine((file, ctx) => {
		file.conversations.forEach((c, i) => {
			if (!c.agent && !file.agent) ctx.addIssue({ code: 'custom', path: ['conversations', i, 'agent'], message: 'name the agent here or at the top of the file' });
		});
	});
export type TestFile = z.infer<typeof TestFile>;

/** The JSON Schema an editor uses for completion (`# yaml-language-server: $schema=...`). */
export function testFileJsonSchema(): Record<string, unknown> {
	return {
		$schema: 'https://json-schema.org/draft/2020-12/schema',
		title: 'Agent Bridge conversation test',
		...z.toJSONSchema(TestFile, { io: 'input', unrepresentable: 'any' }),
	};
}

/** A union's "Invalid input" says nothing: report the issues of the alternative that came closest instead. */
function plainIssues(issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
	return issues.flatMap((i) => {
		const at = [...prefix, ...i.path];
		if (i.code !== 'invalid_union' || !i.errors.length) return [{ path: at, message: i.message }];
		const closest = [...i.errors].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0];
		return plainIssues(closest, at);
	});
}
const depth = (issues: z.core.$ZodIssue[]) => Math.max(0, ...issues.map((i) => i.path.length));

/** Parses a test file's text; problems name the file, the path and the line. */
export function parseTestFile(source: string, shown: string): TestFile {
	const doc = parseDocument(source, { prettyErrors: false });
	if (doc.errors.length) throw new Error(doc.errors.map((e) => `${shown}${e.pos ? `:${source.slice(0, e.pos[0]).split('\n').length}` : ''}: ${e.message.split('\n')[0]}`).join('\n'));
	const parsed = TestFile.safeParse(doc.toJS());
	if (parsed.success) return parsed.data;
	// The line of the nearest node on the path that has a place in the text.
	const lineOf = (p: PropertyKey[]): string => {
		for (let n = p.length; n >= 0; n--) {
			const node = doc.getIn(p.slice(0, n) as (string | number)[], true) as { range?: [number, number] } | undefined;
			if (node?.range) return `:${source.slice(0, node.range[0]).split('\n').length}`;
		}
		return '';
	};
	throw new Error(plainIssues(parsed.error.issues).map((i) => `${shown}${lineOf(i.path)}: ${i.path.join('.') || '(file)'}: ${i.message}`).join('\n'));
}
